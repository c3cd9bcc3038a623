/** Seed 002 and 004 broadcast shapes, recognised by their arguments and mapped onto one target. */

import { assertRoomName } from '../rooms.js'
import type { SendData, WSConnection } from '../types.js'
import { type Excluded, exclusionNames } from './broadcast-operator.js'
import { type Payload, toJsonPayload, toPayload } from './payload.js'
import type { BroadcastTarget } from './target.js'

/** Seed 002's options for `conn.broadcast(data, options)`. */
export interface ConnectionBroadcastOptions {
  /** Only this room's members (else every connection). */
  room?: string
  /** Only these rooms' members, each connection once. */
  rooms?: string[]
  /** Include the sending connection. @default false */
  includeSelf?: boolean
  /** Connections, ids or rooms' members to skip. */
  except?: Excluded | Excluded[]
}

const OPTION_KEYS = new Set(['room', 'rooms', 'includeSelf', 'except'])

const FORMS =
  'conn.broadcast(room, data) sends a string or bytes to a room (seed 000); ' +
  'conn.broadcast(data, { room, rooms, includeSelf, except }) sends any value, objects as JSON (seed 002)'

export function isSendData(value: unknown): value is SendData {
  return typeof value === 'string' || value instanceof ArrayBuffer || ArrayBuffer.isView(value)
}

/** Strings and bytes as they are, anything else as JSON (seeds 002 and 004 send objects). */
export function toAnyPayload(value: unknown): Payload {
  return isSendData(value) ? toPayload(value) : toJsonPayload(value)
}

/** A plain object (not bytes, a Map, a Blob…) whose keys are all options. */
function isOptions(value: unknown): value is ConnectionBroadcastOptions {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return false
  return Object.keys(value).every((key) => OPTION_KEYS.has(key))
}

function ambiguous(): TypeError {
  const error = new TypeError(`conn.broadcast() arguments fit no form: ${FORMS}`)
  return Object.assign(error, { code: 'ERR_INVALID_PAYLOAD' as const })
}

/**
 * Reads `conn.broadcast(...args)`: seed 000's `(room, data)` when the second
 * argument is a string or bytes; seed 002's `(data, options?)` when it is an
 * options object, or absent. A string first argument with no options, or
 * with options naming nothing, could be either form and is refused.
 * @throws {TypeError} `ERR_INVALID_PAYLOAD`, naming both forms, when the arguments fit neither.
 */
export function connectionBroadcast(
  sender: WSConnection,
  args: readonly unknown[],
): { target: BroadcastTarget<WSConnection>; payload: Payload } {
  const [first, second] = args
  if (isSendData(second)) {
    assertRoomName(first)
    return { target: { rooms: [first], except: [sender.id] }, payload: toPayload(second) }
  }
  const absent = args.length === 1 || (second === undefined && typeof first !== 'string')
  if (!absent && !isOptions(second)) throw ambiguous()
  const options: ConnectionBroadcastOptions = isOptions(second) ? second : {}
  if (typeof first === 'string' && args.length > 1 && Object.keys(options).length === 0) {
    throw ambiguous()
  }
  const { includeSelf = false, except } = options
  if (typeof includeSelf !== 'boolean') throw new TypeError('includeSelf must be a boolean')
  if ('rooms' in options && !Array.isArray(options.rooms)) {
    throw new TypeError('rooms must be an array of room names')
  }
  const named = 'room' in options || 'rooms' in options
  const rooms = [...('room' in options ? [options.room] : []), ...(options.rooms ?? [])]
  for (const name of rooms) assertRoomName(name)
  const skipped = [
    ...(includeSelf ? [] : [sender.id]),
    ...exclusionNames(except === undefined ? [] : Array.isArray(except) ? except : [except]),
  ]
  return {
    // Naming rooms, even none, narrows the target; naming none means every connection.
    target: { rooms: named ? (rooms as string[]) : undefined, except: skipped },
    payload: toAnyPayload(first),
  }
}

/** Seed 004's `broadcastToAllClients` options. */
export interface BroadcastToAllClientsOptions {
  data: unknown
  excludeClientId?: string
  /**
   * Sees each candidate: its id, seed 004's `userData` (its `metadata`, with `userId` when it has
   * one, so `({ userData }) => !!userData?.userId` selects signed-in users) and the connection.
   */
  predicate?: (client: {
    clientId: string
    userData: Record<string, unknown>
    connection: WSConnection
  }) => boolean
}

/** Seed 004's `broadcastToRoom` options. */
export interface BroadcastToRoomOptions {
  roomName: string
  data: unknown
  excludeClientId?: string
}

/** Maps seed 004's `broadcastToAllClients` options onto a target. */
export function allClientsTarget(
  options: BroadcastToAllClientsOptions,
): BroadcastTarget<WSConnection> {
  const { excludeClientId, predicate } = options
  return {
    except: excludeClientId === undefined ? undefined : [excludeClientId],
    filter:
      predicate &&
      ((conn) => predicate({ clientId: conn.id, userData: userDataOf(conn), connection: conn })),
  }
}

/** Seed 004's `userData`: what its client manager knows of a connection, its user id included. */
function userDataOf(conn: WSConnection): Record<string, unknown> {
  const { userId, metadata } = conn
  return userId === undefined ? metadata : { ...metadata, userId }
}

/**
 * Seed 002's `conn.broadcastAllRooms(data, includeSelf)`: every room the sender is in.
 * @returns `undefined` when it is in none.
 */
export function allRoomsBroadcast(
  sender: WSConnection,
  rooms: string[],
  data: unknown,
  includeSelf: boolean,
): { target: BroadcastTarget<WSConnection>; payload: Payload } | undefined {
  if (typeof includeSelf !== 'boolean') {
    throw new TypeError('broadcastAllRooms(data, includeSelf): includeSelf must be a boolean')
  }
  if (rooms.length === 0) return undefined
  return {
    target: { rooms, except: includeSelf ? undefined : [sender.id] },
    payload: toAnyPayload(data),
  }
}

/**
 * Seed 004's user ids as roomcast's: strings as they are, finite numbers as strings.
 * @throws {TypeError} for anything else.
 */
export function toUserIds(userIds: unknown, method = 'broadcastToUsers'): string[] {
  const valid =
    Array.isArray(userIds) &&
    userIds.every((id) => typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))
  if (!valid) {
    throw new TypeError(`${method}(): userIds must be an array of strings or numbers`)
  }
  return userIds.map(String)
}
