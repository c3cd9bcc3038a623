/** A connection's startup (onConnection → middleware → handler) and where its errors go. */
import type { IncomingMessage } from 'node:http'
import { CloseCode } from '../close-codes.js'
import type { Connection } from '../connection/index.js'
import { invokeHook, logSafely } from '../hooks.js'
import type { ResolvedOptions } from '../options/index.js'
import type { Middleware, RouteHandler } from '../types.js'
import { runChain } from './middleware.js'

/**
 * Reports `error` to `onError` and the connection's `error` listeners; with
 * neither, to the logger. Failures of those handlers are logged, never thrown.
 */
export function createErrorReporter(options: ResolvedOptions) {
  const { onError, logger } = options
  const logFailure = (failure: Error) =>
    logSafely(logger, 'error', 'roomcast: an error handler threw', failure)
  return (conn: Connection, error: Error): void => {
    const handled = onError !== undefined || conn.listenerCount('error') > 0
    invokeHook(onError, [conn, error], logFailure)
    conn.emitError(error, logFailure)
    if (!handled) logSafely(logger, 'error', `roomcast: error on connection ${conn.id}`, error)
  }
}

export interface StartupDeps {
  onConnection: ResolvedOptions['onConnection']
  middleware: readonly Middleware[]
  reportError: (conn: Connection, error: Error) => void
}

/**
 * Runs onConnection, the middleware and the route handler. Messages are held
 * until the handler settles, however late a middleware calls `next()`; a
 * failure closes with 1011. If the handler never runs (a middleware stopped
 * the chain or failed), held messages go out with the close. Returns a promise
 * only when a step returned one: a route with a synchronous handler and no
 * hooks starts within the handshake's own turn, allocating nothing.
 */
export function startConnection(
  conn: Connection,
  request: IncomingMessage,
  handler: RouteHandler | undefined,
  deps: StartupDeps,
): Promise<void> | undefined {
  const fail = (error: Error) => {
    deps.reportError(conn, error)
    conn.close(CloseCode.InternalError, 'Internal error')
  }
  if (deps.onConnection === undefined && deps.middleware.length === 0) {
    const handled = invokeHook(handler, [conn, request], fail)
    if (handled === undefined) return started(conn)
    return handled.then(() => started(conn))
  }
  return startThroughHooks(conn, request, handler, deps, fail)
}

function started(conn: Connection): undefined {
  conn.release()
  conn.releaseWhenClosed()
  return undefined
}

async function startThroughHooks(
  conn: Connection,
  request: IncomingMessage,
  handler: RouteHandler | undefined,
  deps: StartupDeps,
  fail: (error: Error) => void,
): Promise<void> {
  await invokeHook(deps.onConnection, [conn], fail)
  const final = async () => {
    if (handler !== undefined) await invokeHook(handler, [conn, request], fail)
    conn.release()
  }
  await runChain(deps.middleware, conn, request, final, fail, () => conn.closedByServer)
  conn.releaseWhenClosed()
}
