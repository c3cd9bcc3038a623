/** The server's broadcast methods: seed 000's forms, seed 004's option objects, and the chainable operator. */

import {
  allClientsTarget,
  BroadcastOperator,
  type BroadcastTarget,
  type BroadcastToAllClientsOptions,
  type BroadcastToRoomOptions,
  type Excluded,
  type Payload,
  toAnyPayload,
  toJsonPayload,
  toPayload,
  toUserIds,
} from '../fanout/index.js'
import { assertKnownKeys } from '../options/index.js'
import { assertRoomName } from '../rooms.js'
import type { SendData, WSConnection } from '../types.js'

const ROOM_KEYS = new Set(['roomName', 'data', 'excludeClientId'])
const ALL_CLIENTS_KEYS = new Set(['data', 'excludeClientId', 'predicate'])
const CLIENT_KEYS = new Set(['clientId', 'data'])
const USERS_KEYS = new Set(['userIds', 'data'])

/** Seed 004's option objects refuse keys they do not have: a typo must not widen a broadcast. */
function checkKeys(options: object, known: ReadonlySet<string>, method: string): void {
  assertKnownKeys(options, known, { object: 'broadcast', scope: method })
}

/** A connection, or its id, that a broadcast skips. */
export type BroadcastExclude = WSConnection | string

function exceptOf(exclude: BroadcastExclude | undefined): string[] | undefined {
  if (exclude === undefined) return undefined
  if (typeof exclude === 'string') return [exclude]
  if (typeof exclude === 'object' && exclude !== null && typeof exclude.id === 'string') {
    return [exclude.id]
  }
  throw new TypeError('exclude must be a connection or a connection id')
}

/**
 * Every way to address a broadcast, over one delivery method the server
 * implements (the adapter's fan-out). Each returns how many local connections it reached.
 */
export abstract class BroadcastApi {
  /** Encoded once, delivered through the adapter to every connection `target` selects. */
  protected abstract deliver(target: BroadcastTarget<WSConnection>, payload: Payload): number

  /** A broadcast to the members of `rooms`; chain `except`, `filter`, `volatile`, then `send`/`json`. */
  to(...rooms: string[]): BroadcastOperator {
    return this.#operator().to(...rooms)
  }

  /** A broadcast to every connection except these connections, ids or rooms' members. */
  except(...excluded: Excluded[]): BroadcastOperator {
    return this.#operator().except(...excluded)
  }

  /** A broadcast to every connection `predicate` accepts. */
  filter(predicate: (conn: WSConnection) => boolean): BroadcastOperator {
    return this.#operator().filter(predicate)
  }

  /** A broadcast that connections with unsent data skip. */
  get volatile(): BroadcastOperator {
    return this.#operator().volatile
  }

  /** Sends `data` to every connection. @returns how many connections it reached. */
  broadcast(data: SendData, exclude?: BroadcastExclude): number {
    return this.deliver({ except: exceptOf(exclude) }, toPayload(data))
  }

  broadcastJson(value: unknown, exclude?: BroadcastExclude): number {
    return this.deliver({ except: exceptOf(exclude) }, toJsonPayload(value))
  }

  /** Sends `data` to every member of `room`. @returns how many connections it reached. */
  broadcastToRoom(room: string, data: SendData, exclude?: BroadcastExclude): number
  /** Seed 004's form: `{ roomName, data, excludeClientId }`, objects sent as JSON. */
  broadcastToRoom(options: BroadcastToRoomOptions): number
  broadcastToRoom(
    roomOrOptions: string | BroadcastToRoomOptions,
    data?: SendData,
    exclude?: BroadcastExclude,
  ): number {
    if (typeof roomOrOptions === 'object' && roomOrOptions !== null) {
      checkKeys(roomOrOptions, ROOM_KEYS, 'broadcastToRoom')
      const { roomName, excludeClientId } = roomOrOptions
      assertRoomName(roomName)
      const target = { rooms: [roomName], except: exceptOf(excludeClientId) }
      return this.deliver(target, toAnyPayload(roomOrOptions.data))
    }
    assertRoomName(roomOrOptions)
    return this.deliver(
      { rooms: [roomOrOptions], except: exceptOf(exclude) },
      toPayload(data as SendData),
    )
  }

  broadcastJsonToRoom(room: string, value: unknown, exclude?: BroadcastExclude): number {
    assertRoomName(room)
    return this.deliver({ rooms: [room], except: exceptOf(exclude) }, toJsonPayload(value))
  }

  /** Seed 004: every connection but `excludeClientId`, those `predicate` accepts. */
  broadcastToAllClients(options: BroadcastToAllClientsOptions): number {
    checkKeys(options, ALL_CLIENTS_KEYS, 'broadcastToAllClients')
    return this.deliver(allClientsTarget(options), toAnyPayload(options.data))
  }

  /** Seed 004: one connection by id. @returns 1 when it was sent, else 0. */
  broadcastToClient(options: { clientId: string; data: unknown }): number {
    if (typeof options?.clientId !== 'string') {
      throw new TypeError('broadcastToClient({ clientId, data }): clientId must be a string')
    }
    checkKeys(options, CLIENT_KEYS, 'broadcastToClient')
    return this.deliver({ ids: [options.clientId] }, toAnyPayload(options.data))
  }

  /** Seed 004's `sendToRooms`: the members of any of `rooms`, each once; objects as JSON. */
  sendToRooms(rooms: string[], data: unknown): number {
    if (!Array.isArray(rooms))
      throw new TypeError('sendToRooms(rooms, data): rooms must be an array')
    for (const room of rooms) assertRoomName(room)
    return this.deliver({ rooms }, toAnyPayload(data))
  }

  /** Sends `data` (objects as JSON) to every connection of these users. @returns how many it reached. */
  broadcastToUsers(userIds: ReadonlyArray<string | number>, data: unknown): number
  /** Seed 004's form: `{ userIds, data }`; numeric ids are converted to strings. */
  broadcastToUsers(options: { userIds: ReadonlyArray<string | number>; data: unknown }): number
  broadcastToUsers(
    userIdsOrOptions:
      | ReadonlyArray<string | number>
      | { userIds: ReadonlyArray<string | number>; data: unknown },
    data?: unknown,
  ): number {
    if (Array.isArray(userIdsOrOptions) || typeof userIdsOrOptions !== 'object') {
      return this.deliver({ users: toUserIds(userIdsOrOptions) }, toAnyPayload(data))
    }
    const options = userIdsOrOptions as { userIds: unknown; data: unknown }
    checkKeys(options, USERS_KEYS, 'broadcastToUsers')
    return this.deliver({ users: toUserIds(options.userIds) }, toAnyPayload(options.data))
  }

  #operator(): BroadcastOperator {
    return new BroadcastOperator((target, payload) => this.deliver(target, payload))
  }
}
