/** Seed 004's (PXL's) `webSocketServer`: its method names and option objects over a roomcast server. */

import type { BroadcastToAllClientsOptions, BroadcastToRoomOptions } from '../fanout/index.js'
import { isSendData } from '../fanout/index.js'
import { assertKnownKeys } from '../options/index.js'
import type { RoomcastServer } from '../server/index.js'
import type { WSConnection } from '../types.js'
import { WebSocketRedisSubscriberEvent } from './pxl-events.js'

/** Who a client is, from its connection's identity. */
export interface PxlUser {
  /** `conn.userId`: the token's `sub`, or what `verifyClient` or `authenticate` set. */
  readonly userId: string
  /**
   * With token `auth`, the token's claims (seed 004's `user.payload.role`);
   * otherwise the connection's `metadata` (the object itself, not a copy).
   */
  readonly payload: Readonly<Record<string, unknown>>
  /** The token's claims are here too, as seed 004 reads them (`user.email`). */
  readonly [claim: string]: unknown
}

/** What `clientManager.getClient()` returns. */
export interface PxlClient {
  /** The roomcast connection: what `sendClientMessage`, `joinRoom` and `leaveRoom` take. */
  readonly ws: WSConnection
  /** `undefined` when the connection has no `userId`. */
  readonly user: PxlUser | undefined
}

export interface PxlClientManager {
  /** This node's open connection with id `clientId`, or `undefined`. */
  getClient(options: { clientId: string }): PxlClient | undefined
  /** Sets `conn.metadata[key] = data`. @returns `false` when no such connection is open here. */
  updateClient(options: { clientId: string; key: string; data: unknown }): boolean
}

/** Seed 004's `rooms` map, read-only: this node's rooms and their members' ids. */
export interface PxlRooms {
  /** The ids of this node's members of `roomName` (a copy), or `undefined` when it has none. */
  get(roomName: string): Set<string> | undefined
  has(roomName: string): boolean
  keys(): string[]
  readonly size: number
}

export interface PxlJoinRoomOptions {
  /** The connection (a controller method's first argument, or `getClient().ws`). */
  ws: WSConnection
  roomName: string
  /**
   * Accepted as seed 004 passes it; the user stays `conn.userId`, which only
   * authentication sets, so a client cannot claim an id by joining.
   */
  userId?: string | number | null | undefined
  /** Kept in `ws.metadata.username`. */
  username?: string | null | undefined
  /** Kept in `ws.metadata.userType`. */
  userType?: string | null | undefined
}

/** Seed 004's server methods, as its controllers (`this.webSocketServer`) and subscribers call them. */
export interface PxlServer {
  /** The roomcast server underneath. */
  readonly server: RoomcastServer
  readonly clientManager: PxlClientManager
  readonly rooms: PxlRooms
  /** Every connection, on every node. @returns how many local connections it reached. */
  sendMessageToAll(options: { data: unknown }): number
  /**
   * Every connection but `excludeClientId`, those `predicate` accepts (as on
   * the server: `userData` is `metadata` with the connection's `userId`).
   */
  broadcastToAllClients(options: BroadcastToAllClientsOptions): number
  broadcastToRoom(options: BroadcastToRoomOptions): number
  /** Every connection of these users; numeric ids are converted to strings. */
  broadcastToUsers(options: { userIds: ReadonlyArray<string | number>; data: unknown }): number
  broadcastToClient(options: { clientId: string; data: unknown }): number
  /** Strings and bytes as they are, anything else as JSON. @returns `false` once `ws` is closed. */
  sendClientMessage(ws: WSConnection, message: unknown): boolean
  joinRoom(options: PxlJoinRoomOptions): void
  leaveRoom(options: { ws: WSConnection; roomName: string }): void
  /** Publishes `data` on `WebSocketRedisSubscriberEvent.Custom` to every node's subscribers. */
  sendCustomMessage(options: { data: unknown }): Promise<void>
}

/**
 * Checks a seed 004 options object against its `shape` (`'{ roomName, data, excludeClientId }'`),
 * which also names its keys: every other key is refused.
 */
function options<T extends object>(value: unknown, method: string, shape: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${method}(${shape}) takes an options object`)
  }
  const keys = new Set(
    shape
      .slice(1, -1)
      .split(',')
      .map((key) => key.trim().replace('?', '')),
  )
  assertKnownKeys(value, keys, { object: 'broadcast', scope: method })
  return value as T
}

function connection(value: unknown, method: string): WSConnection {
  const conn = value as Partial<WSConnection> | null | undefined
  if (typeof conn?.id !== 'string' || typeof conn.join !== 'function') {
    throw new TypeError(
      `${method}: ws must be a roomcast connection (a controller method's first argument, or getClient().ws)`,
    )
  }
  return conn as WSConnection
}

class Face implements PxlServer {
  readonly server: RoomcastServer
  readonly clientManager: PxlClientManager
  readonly rooms: PxlRooms

  constructor(server: RoomcastServer) {
    this.server = server
    this.clientManager = {
      getClient: (query) => {
        const { clientId } = options<{ clientId: unknown }>(query, 'getClient', '{ clientId }')
        const conn = typeof clientId === 'string' ? server.getConnection(clientId) : undefined
        if (conn === undefined) return undefined
        return { ws: conn, user: pxlUser(conn) }
      },
      updateClient: (update) => {
        const { clientId, key, data } = options<{ clientId: unknown; key: unknown; data: unknown }>(
          update,
          'updateClient',
          '{ clientId, key, data }',
        )
        if (typeof key !== 'string' || key === '') {
          throw new TypeError(
            'updateClient({ clientId, key, data }): key must be a non-empty string',
          )
        }
        const conn = typeof clientId === 'string' ? server.getConnection(clientId) : undefined
        if (conn === undefined) return false
        conn.metadata[key] = data
        return true
      },
    }
    this.rooms = {
      get: (roomName) => {
        const members = server.getRoomConnections(roomName)
        return members.length === 0 ? undefined : new Set(members.map((conn) => conn.id))
      },
      has: (roomName) => server.getRoomConnections(roomName).length > 0,
      keys: () => server.getRooms(),
      get size() {
        return server.getRooms().length
      },
    }
  }

  sendMessageToAll(send: { data: unknown }): number {
    const { data } = options<{ data: unknown }>(send, 'sendMessageToAll', '{ data }')
    return this.server.broadcastToAllClients({ data })
  }

  // The server's own seed 004 forms, which check their keys themselves.
  broadcastToAllClients(broadcast: BroadcastToAllClientsOptions): number {
    return this.server.broadcastToAllClients(broadcast)
  }

  broadcastToRoom(broadcast: BroadcastToRoomOptions): number {
    return this.server.broadcastToRoom(broadcast)
  }

  broadcastToUsers(broadcast: { userIds: ReadonlyArray<string | number>; data: unknown }): number {
    return this.server.broadcastToUsers(broadcast)
  }

  broadcastToClient(broadcast: { clientId: string; data: unknown }): number {
    return this.server.broadcastToClient(broadcast)
  }

  sendClientMessage(ws: WSConnection, message: unknown): boolean {
    const conn = connection(ws, 'sendClientMessage(ws, message)')
    return isSendData(message) ? conn.send(message) : conn.json(message)
  }

  joinRoom(join: PxlJoinRoomOptions): void {
    const { ws, roomName, username, userType } = options<PxlJoinRoomOptions>(
      join,
      'joinRoom',
      '{ ws, roomName, userId, username, userType }',
    )
    const conn = connection(ws, 'joinRoom({ ws, roomName })')
    conn.join(roomName)
    if (username !== undefined && username !== null) conn.metadata.username = username
    if (userType !== undefined && userType !== null) conn.metadata.userType = userType
  }

  leaveRoom(leave: { ws: WSConnection; roomName: string }): void {
    const { ws, roomName } = options<{ ws: unknown; roomName: string }>(
      leave,
      'leaveRoom',
      '{ ws, roomName }',
    )
    connection(ws, 'leaveRoom({ ws, roomName })').leave(roomName)
  }

  sendCustomMessage(send: { data: unknown }): Promise<void> {
    const { data } = options<{ data: unknown }>(send, 'sendCustomMessage', '{ data }')
    return this.server.publish(WebSocketRedisSubscriberEvent.Custom, data)
  }
}

// Keyed weakly by server: a face lives as long as its server, and two servers never share one.
const faces = new WeakMap<RoomcastServer, PxlServer>()

/**
 * Seed 004's `webSocketServer` for a roomcast server: one per server. Seed 004
 * controllers get it as `this.webSocketServer`, subscribers as `webSocketServer`.
 * @throws {TypeError} when `server` is not a roomcast server.
 * @example
 * pxlServer(wss).sendMessageToAll({ data: { type: 'notification', action: 'alert' } })
 */
export function pxlServer(server: RoomcastServer): PxlServer {
  let face = faces.get(server)
  if (face === undefined) {
    if (typeof server?.broadcastToAllClients !== 'function') {
      throw new TypeError('pxlServer(server): a roomcast server is required')
    }
    face = new Face(server)
    faces.set(server, face)
  }
  return face
}

/** Whether `value` is a face `pxlServer()` made. */
export function isPxlServer(value: unknown): value is PxlServer {
  return value instanceof Face
}

function pxlUser(conn: WSConnection): PxlUser | undefined {
  const { user, userId } = conn
  if (user !== undefined) return { ...user.payload, userId: user.userId, payload: user.payload }
  return userId === undefined ? undefined : { userId, payload: conn.metadata }
}
