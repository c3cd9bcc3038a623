/**
 * A completed handshake becomes a connection: its token's deadlines start,
 * the server and adapter list it, messages reach the controllers, and it
 * starts (a roomcast client gets its session first, then what was queued).
 */
import type { IncomingMessage } from 'node:http'
import type { Adapter } from '../adapter/index.js'
import type { TokenLifetimes } from '../auth/index.js'
import type { ConnectionSocket } from '../connection/connection-socket.js'
import { Connection, type ConnectionHost } from '../connection/index.js'
import { toError } from '../errors.js'
import type { MessageLayer } from '../message/index.js'
import type { ResolvedOptions } from '../options/index.js'
import type { Durability } from '../recovery/index.js'
import type { Middleware } from '../types.js'
import { startConnection } from './startup.js'
import type { StatsCounter } from './stats.js'
import type { AcceptedRoute } from './upgrade.js'

export interface AcceptDeps {
  readonly options: ResolvedOptions
  readonly host: ConnectionHost
  readonly connections: Map<string, Connection>
  readonly adapter: Adapter
  readonly messages: MessageLayer
  readonly stats: StatsCounter
  readonly lifetimes: TokenLifetimes<Connection>
  readonly durability: Durability
  readonly middleware: readonly Middleware[]
  /** The sweep's `start()`: idempotent, so called for every connection. */
  startSweep(): void
  reportError(conn: Connection, error: Error): void
}

export function createAcceptor(deps: AcceptDeps) {
  const { options, connections, adapter, messages, durability } = deps
  return (socket: ConnectionSocket, request: IncomingMessage, target: AcceptedRoute): void => {
    const conn = new Connection(deps.host, socket, request, target)
    const auth = target.entry.settings.auth
    if (auth !== undefined && target.token !== undefined) {
      deps.lifetimes.opened(conn, auth, target.token)
    }
    connections.set(conn.id, conn)
    adapter.addConnection(conn.id, conn.userId)
    if (messages.active && !target.entry.routeObject) {
      const listener = messages.serverListener()
      conn.on('message', (data, isBinary) => listener(conn, data, isBinary))
    }
    deps.stats.connectionsTotal++
    deps.startSweep()
    const start = () =>
      startConnection(conn, request, target.entry.handler, {
        onConnection: options.onConnection,
        middleware: deps.middleware,
        reportError: deps.reportError,
      })
    if (target.hello === undefined && options.offlineQueue === undefined) {
      void start()
      return
    }
    // A roomcast client gets its session (and what it missed) before the handler runs.
    void durability
      .opened(conn, target)
      .catch((error: unknown) => deps.reportError(conn, toError(error)))
      .then(() => {
        if (options.recovery !== undefined && target.hello?.sessionId) {
          deps.stats.resumed(conn.recovered)
        }
      })
      .then(start)
      .then(() => durability.started(conn))
  }
}
