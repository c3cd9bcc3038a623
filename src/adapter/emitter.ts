/**
 * The emitter: broadcasts and custom messages into a cluster from a process
 * with no WebSocket server (a job worker, a cron task, an HTTP API), on the
 * same channels and wire format as the cluster adapter.
 */
import { randomUUID } from 'node:crypto'
import { type Payload, toJsonPayload, toPayload } from '../fanout/index.js'
import { assertKnownKeys, keySet } from '../options/index.js'
import { assertRoomName } from '../rooms.js'
import type { SendData } from '../types.js'
import { Channels } from './channels.js'
import { AdapterError, AdapterErrorCode } from './errors.js'
import type { Transport } from './transport.js'
import type { WireTarget } from './types.js'
import { encode } from './wire.js'

export interface EmitterOptions {
  /** The cluster's message bus; it stays the caller's. */
  transport: Transport
  /** The cluster's channel prefix. @default 'roomcast' */
  prefix?: string
}

const EMITTER_KEYS = keySet<EmitterOptions>({ transport: true, prefix: true })

/** Publishes one encoded message for a target; shared by every operator of one emitter. */
type Send = (target: WireTarget, payload: Payload) => Promise<void>

/**
 * An immutable target, as on the server: several rooms, users or clients are
 * a union and each connection gets the message once.
 */
export class EmitterOperator {
  readonly #send: Send
  readonly #target: WireTarget

  constructor(send: Send, target: WireTarget = {}) {
    this.#send = send
    this.#target = target
  }

  /** Adds rooms to the target. */
  to(...rooms: string[]): EmitterOperator {
    for (const room of rooms) assertRoomName(room)
    return this.#with({ rooms: [...(this.#target.rooms ?? []), ...rooms] })
  }

  /** Adds every connection of these users, wherever they are connected. */
  toUsers(...userIds: string[]): EmitterOperator {
    strings('toUsers', userIds)
    return this.#with({ users: [...(this.#target.users ?? []), ...userIds] })
  }

  /** Adds connections by id. */
  toClients(...ids: string[]): EmitterOperator {
    strings('toClients', ids)
    return this.#with({ ids: [...(this.#target.ids ?? []), ...ids] })
  }

  /** Skips connection ids and the members of rooms named here. */
  except(...excluded: string[]): EmitterOperator {
    strings('except', excluded)
    return this.#with({ except: [...(this.#target.except ?? []), ...excluded] })
  }

  /** Skipped by connections that still have unsent data. */
  get volatile(): EmitterOperator {
    return this.#with({ volatile: true })
  }

  /**
   * Resolves once the bus took the message (delivery is at-most-once).
   * @throws {AdapterError} (rejects) `ERR_ADAPTER_DOWN` while the bus is down.
   */
  send(data: SendData): Promise<void> {
    return this.#send(this.#target, toPayload(data))
  }

  /** Sends `JSON.stringify(value)`. */
  json(value: unknown): Promise<void> {
    return this.#send(this.#target, toJsonPayload(value))
  }

  #with(change: WireTarget): EmitterOperator {
    return new EmitterOperator(this.#send, { ...this.#target, ...change })
  }
}

export interface Emitter {
  to(...rooms: string[]): EmitterOperator
  toUsers(...userIds: string[]): EmitterOperator
  toClients(...ids: string[]): EmitterOperator
  except(...excluded: string[]): EmitterOperator
  readonly volatile: EmitterOperator
  /** Sends `data` to every connection of the cluster. */
  broadcast(data: SendData): Promise<void>
  /** Sends `JSON.stringify(value)` to every connection of the cluster. */
  broadcastJson(value: unknown): Promise<void>
  /** A custom message to `channel` on every node (`wss.publish` from outside). */
  publish(channel: string, message: unknown): Promise<void>
}

/**
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for an empty `prefix` or an unknown option.
 * @example
 * const emitter = createEmitter({ transport })
 * await emitter.to('lobby').except(userSocketId).json({ type: 'news', text })
 */
export function createEmitter(options: EmitterOptions): Emitter {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createEmitter: options must be an object with `transport`')
  }
  assertKnownKeys(options, EMITTER_KEYS, { object: 'createEmitter', scope: 'createEmitter' })
  const { transport } = options
  if (typeof transport?.publish !== 'function') {
    throw new TypeError('createEmitter: `transport` must be a Transport')
  }
  const channels = new Channels(options.prefix)
  // Never a node id, so every node handles what it sends.
  const origin = `emitter:${randomUUID()}`
  let nextId = 0

  const publish = async (channelNames: string[], message: Buffer): Promise<void> => {
    const status = transport.status
    if (!status.up) {
      throw new AdapterError(AdapterErrorCode.Down, `emitter: message bus down: ${status.reason}`)
    }
    // Started together, in order: the bus keeps per-channel order.
    const sent = channelNames.map((channel) => transport.publish(channel, message))
    try {
      await Promise.all(sent)
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error)
      throw new AdapterError(AdapterErrorCode.Publish, `emitter: publish failed: ${why}`, {
        cause: error,
      })
    }
  }

  const send: Send = (target, payload) => {
    const names = channels.forTarget(target)
    if (names.length === 0) return Promise.resolve()
    const message = encode({
      kind: 'broadcast',
      origin,
      id: nextId++,
      multi: names.length > 1,
      target,
      binary: payload.binary,
      data: payload.data,
    })
    return publish(names, message)
  }

  const root = new EmitterOperator(send)
  return {
    to: (...rooms) => root.to(...rooms),
    toUsers: (...userIds) => root.toUsers(...userIds),
    toClients: (...ids) => root.toClients(...ids),
    except: (...excluded) => root.except(...excluded),
    get volatile() {
      return root.volatile
    },
    broadcast: (data) => root.send(data),
    broadcastJson: (value) => root.json(value),
    async publish(channel, message) {
      if (typeof channel !== 'string') throw new TypeError('publish() takes a channel name string')
      await publish([channels.custom], encode({ kind: 'publish', origin, channel, message }))
    },
  }
}

function strings(method: string, values: readonly unknown[]): void {
  if (!values.every((value) => typeof value === 'string' && value.length > 0)) {
    throw new TypeError(`${method}() takes non-empty strings`)
  }
}
