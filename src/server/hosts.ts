/**
 * The two faces the server shows inward: to its adapter (delivery and local
 * facts by connection id) and to its connections (membership, fan-out, close).
 */
import type { Adapter, AdapterHost, PresenceEvent } from '../adapter/index.js'
import { answerRefresh, readRefresh, type TokenLifetimes } from '../auth/index.js'
import type { Connection, ConnectionHost } from '../connection/index.js'
import { MaxRoomsExceededError } from '../errors.js'
import type { BroadcastTarget, Payload } from '../fanout/index.js'
import { WriteBatch } from '../fanout/index.js'
import { invokeHook, logSafely } from '../hooks.js'
import type { ResolvedOptions } from '../options/index.js'
import type { Durability } from '../recovery/index.js'
import type { WSConnection } from '../types.js'
import { debugLog } from './debug-log.js'
import type { StatsCounter } from './stats.js'
import { InactivityClose } from './sweep.js'

export interface AdapterHostDeps {
  nodeId: string
  keptRooms: AdapterHost['keptRooms']
  offlineQueue: AdapterHost['offlineQueue']
  connections: ReadonlyMap<string, Connection>
  revoke: AdapterHost['revoke']
  status: AdapterHost['status']
  message(channel: string, message: unknown): void
  presence(event: PresenceEvent): void
  error(error: Error): void
}

/** What the adapter may do here: deliver to, describe and act on local connections by id. */
export function createAdapterHost(deps: AdapterHostDeps): AdapterHost {
  const { nodeId, connections } = deps
  return {
    nodeId,
    deliver: (ids, payload, volatile, skip) => {
      let reached = 0
      for (const id of ids) {
        if (skip?.(id)) continue
        if (connections.get(id)?.sendPayload(payload, volatile)) reached++
      }
      return reached
    },
    connectionIds: () => connections.keys(),
    hasConnection: (id) => connections.has(id),
    describe: (id) => {
      const conn = connections.get(id)
      if (conn === undefined) return undefined
      const { userId, metadata } = conn
      return { id, nodeId, userId, metadata, rooms: conn.getRooms() }
    },
    join: (id, room) => connections.get(id)?.join(room),
    leave: (id, room) => connections.get(id)?.leave(room),
    disconnect: (id, code, reason) => connections.get(id)?.close(code, reason),
    revoke: deps.revoke,
    status: deps.status,
    message: deps.message,
    presence: deps.presence,
    error: deps.error,
    keptRooms: deps.keptRooms,
    offlineQueue: deps.offlineQueue,
  }
}

export interface ConnectionHostDeps {
  options: ResolvedOptions
  adapter: Adapter
  stats: StatsCounter
  fanOut(target: BroadcastTarget<WSConnection>, payload: Payload): number
  reportError(conn: Connection, error: Error): void
  /** First thing on close: the server stops listing the connection. */
  forget(conn: Connection): void
  /** Last thing on close, after `onClose`. */
  closed(): void
  durability: Durability
  lifetimes: TokenLifetimes<Connection>
}

/** The one place connections touch membership, which the adapter holds. */
export function createConnectionHost(deps: ConnectionHostDeps): ConnectionHost {
  const { options, adapter, reportError, durability, lifetimes } = deps
  const { debug, logger } = options
  /** Leaves through `left` when someone listens: the debug log, or a connection's session. */
  const observed = (conn: Connection) => debug || conn.durable !== undefined
  const left = (conn: Connection, room: string) => {
    if (!adapter.isIn(conn.id, room)) return
    adapter.leave(conn.id, room)
    if (conn.durable !== undefined) durability.left(conn, room)
    if (debug) debugLog(logger, `roomcast: connection ${conn.id} left room ${JSON.stringify(room)}`)
  }
  return {
    stats: deps.stats,
    maxQueuedBytes: options.maxQueuedBytes,
    maxBackpressure: options.maxBackpressure,
    backpressurePolicy: options.backpressurePolicy,
    closeTimeout: options.closeTimeout,
    writes: new WriteBatch(),
    join: (conn, room, history) => {
      if (adapter.isIn(conn.id, room)) return
      const limit = options.maxRoomsPerConnection
      if (limit > 0 && adapter.roomCountOf(conn.id) >= limit) {
        throw new MaxRoomsExceededError(room, limit)
      }
      if (history !== undefined && history > 0) durability.ruleOrThrow(room, 'join()')
      adapter.join(conn.id, room)
      if (durability.active) durability.joined(conn, room, history)
      if (debug)
        debugLog(logger, `roomcast: connection ${conn.id} joined room ${JSON.stringify(room)}`)
    },
    leave: (conn, room) => (observed(conn) ? left(conn, room) : adapter.leave(conn.id, room)),
    leaveAll: (conn) => {
      for (const room of [...(adapter.roomsOf(conn.id) ?? [])]) {
        if (observed(conn)) left(conn, room)
        else adapter.leave(conn.id, room)
      }
    },
    roomsOf: (conn) => adapter.roomsOf(conn.id) ?? [],
    fanOut: deps.fanOut,
    reportError,
    refresh: (conn, text) => {
      const request = readRefresh(text)
      if (request === undefined) return false
      answerRefresh(lifetimes, conn, request, (refused, reason) => {
        const line = `roomcast: token refresh refused for ${refused.id}: ${reason}`
        if (debug) debugLog(logger, line)
        else logger.debug?.(line)
      })
      return true
    },
    // Only `true` admits: a hook that forgets to return refuses, as an async one would.
    mayJoin: (conn, room) =>
      options.authorizeJoin === undefined ? true : options.authorizeJoin(conn, room),
    connectionClosed: (conn, code, reason) => {
      if (debug) logClose(logger, conn, code, reason, adapter.roomsOf(conn.id))
      deps.forget(conn)
      if (conn.grant !== undefined) lifetimes.closed(conn)
      if (conn.durable !== undefined) durability.closed(conn, code)
      adapter.removeConnection(conn.id, conn.userId)
      if (options.logInactivity && conn.closeSent?.reason === InactivityClose.reason) {
        logSafely(options.logger, 'warn', `roomcast: connection ${conn.id} closed for inactivity`)
      }
      invokeHook(options.onClose, [conn, code, reason], (error) => reportError(conn, error))
      deps.closed()
    },
  }
}

function logClose(
  logger: ResolvedOptions['logger'],
  conn: Connection,
  code: number,
  reason: string,
  rooms: ReadonlySet<string> | undefined,
): void {
  const by = conn.closedByServer ? 'the server' : 'the client'
  const names = [...(rooms ?? [])].map((room) => JSON.stringify(room))
  const left = names.length === 0 ? '' : `, leaving ${names.join(', ')}`
  debugLog(
    logger,
    `roomcast: connection ${conn.id} closed: ${code} ${JSON.stringify(reason)} (by ${by}${left})`,
  )
}
