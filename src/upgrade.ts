/** Handshake pipeline: route → closing → request → origin → capacity → auth → still alive → upgrade. */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket, WebSocketServer } from 'ws'
import type { ConnectionRoute } from './connection.js'
import { toError } from './errors.js'
import { checkHandshakeRequest, type Rejection, writeRejection } from './handshake.js'
import { logSafely } from './hooks.js'
import type { ResolvedOptions } from './options.js'
import { createOriginCheck } from './origin.js'
import { type RouteMatch, splitPath } from './route.js'
import type { RouteHandler } from './types.js'

/** A routed, accepted request: where it goes and which handler (none for `path` entries). */
export interface AcceptedRoute extends ConnectionRoute {
  handler: RouteHandler | undefined
}

export interface UpgradeDeps {
  readonly options: ResolvedOptions
  readonly wsServer: WebSocketServer
  isClosing(): boolean
  route(segments: string[]): RouteMatch<RouteHandler | undefined> | undefined
  connectionCount(): number
  rejected(status: number): void
  accept(socket: WebSocket, request: IncomingMessage, route: AcceptedRoute): void
}

/**
 * What to do with a request no route matches: answer 404, or leave the socket
 * alone for another `upgrade` listener on the same http server.
 */
export type Unmatched = 'reject' | 'ignore'

export interface UpgradePipeline {
  handle(request: IncomingMessage, socket: Duplex, head: Buffer, unmatched?: Unmatched): void
  /** Ends every handshake waiting on `verifyClient` with 503 at once (for `close()`). */
  abortPending(): void
}

type Verdict = 'accepted' | 'rejected' | 'timeout' | 'aborted'

const SHUTTING_DOWN: Rejection = { status: 503, message: 'Server is shutting down' }

function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?')
  return q === -1 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q + 1) }
}

/**
 * Every refusal is a complete HTTP response; handshakes in flight count
 * against `maxConnections`, so a burst cannot overshoot it; a client that left
 * during `verifyClient` is never upgraded.
 */
export function createUpgradePipeline(deps: UpgradeDeps): UpgradePipeline {
  const { options } = deps
  const originAllowed = createOriginCheck(options.allowedOrigins)
  const pendingAborts = new Set<() => void>()
  let inFlight = 0

  const reject = (socket: Duplex, rejection: Rejection): void => {
    deps.rejected(rejection.status)
    writeRejection(socket, rejection)
  }

  /** Runs `verifyClient`, bounded by `handshakeTimeout`; a throw or rejection counts as `false`. */
  const verify = async (request: IncomingMessage): Promise<Verdict> => {
    const verifyClient = options.verifyClient
    if (verifyClient === undefined) return 'accepted'
    let timer: NodeJS.Timeout | undefined
    let abort = () => {}
    const bounds = new Promise<Verdict>((resolve) => {
      timer = setTimeout(resolve, options.handshakeTimeout, 'timeout')
      timer.unref()
      abort = () => resolve('aborted')
    })
    pendingAborts.add(abort)
    const decision = (async (): Promise<Verdict> => {
      try {
        return (await verifyClient(request)) ? 'accepted' : 'rejected'
      } catch (error) {
        logSafely(
          options.logger,
          'warn',
          'roomcast: verifyClient threw; handshake rejected with 401',
          toError(error),
        )
        return 'rejected'
      }
    })()
    try {
      return await Promise.race([decision, bounds])
    } finally {
      clearTimeout(timer)
      pendingAborts.delete(abort)
    }
  }

  const route = (request: IncomingMessage): AcceptedRoute | Rejection => {
    const { path, search } = splitUrl(request.url ?? '/')
    const segments = splitPath(path)
    if (segments === undefined) return { status: 400, message: 'Malformed request path' }
    const match = deps.route(segments)
    if (match === undefined) return { status: 404, message: `No WebSocket route for ${path}` }
    const query = new URLSearchParams(search)
    return { url: path, params: match.params, query, handler: match.value }
  }

  const complete = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: AcceptedRoute,
  ) => {
    // A client that left during verifyClient may leave a half-open socket: check both sides.
    if (socket.destroyed || !socket.readable || !socket.writable) {
      socket.destroy()
      return
    }
    if (deps.isClosing()) return reject(socket, SHUTTING_DOWN)
    try {
      // Synchronous here: ws has no verifyClient of its own, so it upgrades or refuses at once.
      deps.wsServer.handleUpgrade(request, socket, head, (ws) => deps.accept(ws, request, target))
    } catch (error) {
      // Another listener already upgraded this socket (two servers on one route): it is theirs.
      logSafely(options.logger, 'error', 'roomcast: could not upgrade', toError(error))
    }
  }

  const handle = (request: IncomingMessage, socket: Duplex, head: Buffer, unmatched: Unmatched) => {
    if (socket.destroyed) return
    const target = route(request)
    if ('status' in target && target.status === 404 && unmatched === 'ignore') return
    // Until ws takes the socket over, a reset must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy())
    if ('status' in target) return reject(socket, target)
    if (deps.isClosing()) return reject(socket, SHUTTING_DOWN)
    const invalid = checkHandshakeRequest(request)
    if (invalid) return reject(socket, invalid)
    if (!originAllowed(request.headers.origin)) {
      return reject(socket, { status: 403, message: 'Origin not allowed' })
    }
    const max = options.maxConnections
    if (max > 0 && deps.connectionCount() + inFlight >= max) {
      return reject(socket, { status: 503, message: 'Server is at its connection limit' })
    }
    inFlight++
    if (options.verifyClient === undefined) {
      try {
        return complete(request, socket, head, target)
      } finally {
        inFlight--
      }
    }
    verify(request)
      .then((verdict) => {
        if (verdict === 'accepted') return complete(request, socket, head, target)
        if (verdict === 'rejected') reject(socket, { status: 401, message: 'Unauthorized' })
        else if (verdict === 'timeout') {
          reject(socket, { status: 503, message: 'Handshake verification timed out' })
        } else reject(socket, SHUTTING_DOWN)
      })
      .catch((error: unknown) => {
        logSafely(options.logger, 'error', 'roomcast: upgrade failed', toError(error))
        socket.destroy()
      })
      .finally(() => {
        inFlight--
      })
  }

  return {
    handle: (request, socket, head, unmatched = 'reject') =>
      handle(request, socket, head, unmatched),
    abortPending: () => {
      for (const abort of pendingAborts) abort()
    },
  }
}
