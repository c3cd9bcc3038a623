/** The opt-in `system` controller: clients join and leave rooms, guarded by `authorizeJoin`. */

import { isThenable } from '../hooks.js'
import { assertKnownKeys, keySet } from '../options/index.js'
import { MAX_ROOM_NAME_LENGTH } from '../rooms.js'
import type { RoomcastServer } from '../server/index.js'
import type { WSConnection } from '../types.js'
import type { ActionRoute, ControllerConnection } from './controller-types.js'
import { ReplyCode, ReplyError } from './reply.js'
import type { StandardSchemaIssue, StandardSchemaV1 } from './schema.js'
import { defineAction } from './typed.js'

/** Options of {@link systemController}. */
export interface SystemControllerOptions<Conn = WSConnection> {
  /**
   * Decides whether `conn` may join `room`, sync or async. `false` or a throw
   * answers `ERR_FORBIDDEN` (a thrown {@link ReplyError} is sent as it is).
   * Without it, any valid room may be joined.
   */
  authorizeJoin?: ((conn: Conn, room: string) => boolean | PromiseLike<boolean>) | undefined
  /**
   * `false`: joining a room first leaves every other room (seed 004).
   * @default true
   */
  clientCanJoinMultipleRooms?: boolean | undefined
}

const SYSTEM_CONTROLLER_KEYS = keySet<SystemControllerOptions>({
  authorizeJoin: true,
  clientCanJoinMultipleRooms: true,
})

/** `data` of `system.joinRoom` and `system.leaveRoom`. */
export interface RoomRequest {
  roomName: string
}

/** The reply to both actions: the room named, and every room the connection is now in. */
export interface RoomReply {
  room: string
  rooms: string[]
}

/** Checks `{ roomName }` as a Standard Schema, so failures take the usual `ERR_VALIDATION` path. */
const roomRequestSchema: StandardSchemaV1<unknown, RoomRequest> = {
  '~standard': {
    version: 1,
    vendor: 'roomcast',
    validate(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return issue('Expected an object { roomName }', [])
      }
      const { roomName } = value as { roomName?: unknown }
      if (typeof roomName !== 'string') return issue('roomName must be a string', ['roomName'])
      if (roomName.length === 0 || roomName.length > MAX_ROOM_NAME_LENGTH) {
        return issue(`roomName must be 1 to ${MAX_ROOM_NAME_LENGTH} characters long`, ['roomName'])
      }
      return { value: { roomName } }
    },
  },
}

function issue(message: string, path: string[]): { issues: StandardSchemaIssue[] } {
  return { issues: [{ message, path }] }
}

/**
 * Routes for type `'system'`: `joinRoom` and `leaveRoom` with `{ roomName }`,
 * both answered `{ room, rooms }`. Register them with the other controllers.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for an option it does not have.
 * @throws {TypeError} for an option of the wrong type.
 *
 * @example
 * router.add(systemController({ authorizeJoin: (conn, room) => room.startsWith('public:') }))
 */
export function systemController<
  Conn extends ControllerConnection = WSConnection,
  Server = RoomcastServer,
>(options: SystemControllerOptions<Conn> = {}): ActionRoute<Conn, Server>[] {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('systemController: options must be an object')
  }
  assertKnownKeys(options, SYSTEM_CONTROLLER_KEYS, {
    object: 'systemController',
    scope: 'systemController',
  })
  const { authorizeJoin, clientCanJoinMultipleRooms = true } = options
  if (authorizeJoin !== undefined && typeof authorizeJoin !== 'function') {
    throw new TypeError('systemController: authorizeJoin must be a function')
  }
  if (typeof clientCanJoinMultipleRooms !== 'boolean') {
    throw new TypeError('systemController: clientCanJoinMultipleRooms must be a boolean')
  }
  const enter = (
    conn: Conn,
    room: string,
  ): RoomReply | Promise<RoomReply | undefined> | undefined => {
    // The server's authorizeJoin guards every way in; this controller's own ran first.
    const granted = conn.mayJoin?.(room) ?? true
    if (!isThenable(granted)) {
      if (!granted) throw forbidden(undefined)
      return join(conn, room)
    }
    return Promise.resolve(granted).then((allowed) => {
      if (!allowed) throw forbidden(undefined)
      return join(conn, room)
    })
  }
  const join = (conn: Conn, room: string): RoomReply | undefined => {
    // An async authorizeJoin may finish after the client left: joining then would be pointless.
    if (!conn.isOpen) return undefined
    if (!clientCanJoinMultipleRooms) {
      for (const other of conn.getRooms()) if (other !== room) conn.leave(other)
    }
    conn.join(room)
    return { room, rooms: conn.getRooms() }
  }
  const joinRoom = (
    conn: Conn,
    room: string,
  ): RoomReply | undefined | Promise<RoomReply | undefined> => {
    if (authorizeJoin === undefined) return enter(conn, room)
    let allowed: boolean | PromiseLike<boolean>
    try {
      allowed = authorizeJoin(conn, room)
    } catch (error) {
      throw forbidden(error)
    }
    if (!isThenable(allowed)) {
      if (allowed !== true) throw forbidden(undefined)
      return enter(conn, room)
    }
    return Promise.resolve(allowed).then(
      (granted) => {
        if (granted !== true) throw forbidden(undefined)
        return enter(conn, room)
      },
      (error: unknown) => {
        throw forbidden(error)
      },
    )
  }
  return [
    defineAction<typeof roomRequestSchema, RoomReply | undefined, Conn, Server>({
      type: 'system',
      action: 'joinRoom',
      schema: roomRequestSchema,
      handler: (conn, { roomName }) => joinRoom(conn, roomName),
    }),
    defineAction<typeof roomRequestSchema, RoomReply, Conn, Server>({
      type: 'system',
      action: 'leaveRoom',
      schema: roomRequestSchema,
      handler: (conn, { roomName }) => {
        conn.leave(roomName)
        return { room: roomName, rooms: conn.getRooms() }
      },
    }),
  ]
}

/** A refusal; an app's own ReplyError keeps its code, anything else stays opaque. */
function forbidden(cause: unknown): ReplyError {
  if (cause instanceof ReplyError) return cause
  const message = 'Not allowed to join this room'
  return cause === undefined
    ? new ReplyError(ReplyCode.Forbidden, message)
    : new ReplyError(ReplyCode.Forbidden, message, undefined, { cause })
}
