/** What comes in: control frames applied, duplicates dropped, replies settled, messages delivered. */
import { type ControlHeader, readFrame } from './control-frames.js'
import type { MessageMeta } from './events.js'
import { Listeners } from './listeners.js'
import { Positions } from './positions.js'
import { PushHandlers } from './push-handlers.js'
import type { Advice } from './reconnect-policy.js'
import type { MessageData } from './socket.js'

/** A `session` frame's header. */
export type SessionHeader = Extract<ControlHeader, { t: 'session' }>

/** What the inbound side tells the client. */
export interface InboundHost {
  readonly isOpen: () => boolean
  /** A connection opened: its `session` frame, or `undefined` from a server without the protocol. */
  readonly opened: (session: SessionHeader | undefined) => void
  readonly advised: (advice: Advice) => void
  /** Settles the request a JSON message answers; `false` when it answers none. */
  readonly settle: (message: Record<string, unknown>) => boolean
  /** A JSON message that answers no request, before its push handler runs. */
  readonly pushed: (message: Record<string, unknown>) => void
  readonly emitMessage: (body: MessageData, meta: MessageMeta) => void
  /** A listener or handler threw. */
  readonly listenerFailed: (error: unknown) => void
  readonly protocolError: (reason: string) => void
}

const NO_ROOMS: MessageMeta = { rooms: [] }

/** Reads every frame of every connection of one client, in order. */
export class Inbound {
  /** Per-room positions, kept across connections for `roomcast_positions`. */
  readonly positions = new Positions()
  /** Room listeners, by room name. */
  readonly rooms = new Listeners()
  readonly pushes = new PushHandlers()
  readonly #host: InboundHost

  constructor(host: InboundHost) {
    this.#host = host
  }

  receive(data: unknown): void {
    if (typeof data !== 'string' && !(data instanceof ArrayBuffer)) {
      this.#host.protocolError('message data is neither text nor an ArrayBuffer')
      return
    }
    const frame = readFrame(data)
    if (frame.kind === 'invalid') this.#host.protocolError(frame.reason)
    else if (frame.kind === 'control') this.#control(frame.header, frame.body)
    else {
      // A server without the protocol sends no session frame: its first message opens.
      if (!this.#host.isOpen()) this.#host.opened(undefined)
      this.#deliver(frame.body, NO_ROOMS)
    }
  }

  #control(header: ControlHeader | undefined, body: MessageData): void {
    // `undefined`: a `t` this version does not know, from a newer server; skipped.
    switch (header?.t) {
      case 'session':
        // Positions belong to a session: one that was not resumed starts from none.
        if (!header.recovered) this.positions.clear()
        this.#host.opened(header)
        break
      case 'msg':
        if (header.p === undefined) this.#deliver(body, NO_ROOMS)
        else if (this.positions.accept(header.p)) {
          this.#deliver(body, { rooms: header.p.map(([room]) => room) })
        }
        break
      case 'join':
        this.positions.join(header.room, header.offset, header.epoch)
        break
      case 'leave':
        this.positions.leave(header.room)
        break
      case 'advice':
        this.#host.advised('final' in header ? { final: true } : { retry: header.retry })
        break
    }
  }

  /** Settles a request, or runs a push handler, then tells `message` and room listeners. */
  #deliver(body: MessageData, meta: MessageMeta): void {
    const message = typeof body === 'string' ? jsonObject(body) : undefined
    if (message !== undefined) {
      if (this.#host.settle(message)) return
      this.#host.pushed(message)
      this.pushes.dispatch(message, this.#host.listenerFailed)
    }
    this.#host.emitMessage(body, meta)
    for (const room of meta.rooms) this.rooms.emit(room, [body, meta], this.#host.listenerFailed)
  }
}

/** `body` parsed, when it is a JSON object; cheap for the common non-JSON case. */
function jsonObject(body: string): Record<string, unknown> | undefined {
  if (body.charCodeAt(0) !== 0x7b) return undefined
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
