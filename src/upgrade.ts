/** Handshake pipeline: closing → request → route → origin → capacity → auth → still alive → upgrade. */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocket, WebSocketServer } from 'ws'
import type { ConnectionRoute } from './connection.js'
import { toError } from './errors.js'
import { checkHandshakeRequest, type Rejection, writeRejection } from './handshake.js'
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

export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

type Verdict = 'accepted' | 'rejected' | 'timeout'

/** Runs `verifyClient`, bounded by `handshakeTimeout`; a throw or rejection counts as `false`. */
async function verify(deps: UpgradeDeps, request: IncomingMessage): Promise<Verdict> {
  const { verifyClient, handshakeTimeout, logger } = deps.options
  if (verifyClient === undefined) return 'accepted'
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<Verdict>((resolve) => {
    timer = setTimeout(resolve, handshakeTimeout, 'timeout')
  })
  const decision = (async (): Promise<Verdict> => {
    try {
      return (await verifyClient(request)) ? 'accepted' : 'rejected'
    } catch (error) {
      logger.warn('roomcast: verifyClient threw; handshake rejected with 401', toError(error))
      return 'rejected'
    }
  })()
  try {
    return await Promise.race([decision, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?')
  return q === -1 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q + 1) }
}

/**
 * Returns the `upgrade` listener. Every refusal is a complete HTTP response;
 * handshakes in flight count against `maxConnections`, so a burst cannot
 * overshoot it; a client that left during `verifyClient` is never upgraded.
 */
export function createUpgradeHandler(deps: UpgradeDeps): UpgradeHandler {
  const originAllowed = createOriginCheck(deps.options.allowedOrigins)
  let inFlight = 0

  const reject = (socket: Duplex, rejection: Rejection): void => {
    deps.rejected(rejection.status)
    writeRejection(socket, rejection)
  }

  const route = (request: IncomingMessage): AcceptedRoute | Rejection => {
    const { path, search } = splitUrl(request.url ?? '/')
    const segments = splitPath(path)
    if (segments === undefined) return { status: 400, message: 'Malformed request path' }
    const match = deps.route(segments)
    if (match === undefined) return { status: 404, message: `No WebSocket route for ${path}` }
    return {
      url: path,
      params: match.params,
      query: new URLSearchParams(search),
      handler: match.value,
    }
  }

  const complete = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: AcceptedRoute,
  ) => {
    let released = false
    const release = () => {
      if (!released) inFlight--
      released = true
    }
    // A client that left during verifyClient may leave a half-open socket: check both sides.
    if (socket.destroyed || !socket.readable || !socket.writable) {
      release()
      socket.destroy()
      return
    }
    if (deps.isClosing()) {
      release()
      reject(socket, { status: 503, message: 'Server is shutting down' })
      return
    }
    // ws completes (or refuses) the upgrade synchronously when it has no verifyClient of its own,
    // so once handleUpgrade returns the handshake is no longer in flight either way.
    try {
      deps.wsServer.handleUpgrade(request, socket, head, (ws) => {
        release()
        deps.accept(ws, request, target)
      })
    } finally {
      release()
    }
  }

  return (request, socket, head) => {
    // Until ws takes the socket over, a reset must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy())
    if (deps.isClosing()) return reject(socket, { status: 503, message: 'Server is shutting down' })
    const invalid = checkHandshakeRequest(request)
    if (invalid) return reject(socket, invalid)
    const target = route(request)
    if ('status' in target) return reject(socket, target)
    if (!originAllowed(request.headers.origin)) {
      return reject(socket, { status: 403, message: 'Origin not allowed' })
    }
    const max = deps.options.maxConnections
    if (max > 0 && deps.connectionCount() + inFlight >= max) {
      return reject(socket, { status: 503, message: 'Server is at its connection limit' })
    }
    inFlight++
    if (deps.options.verifyClient === undefined) return complete(request, socket, head, target)
    verify(deps, request)
      .then((verdict) => {
        if (verdict === 'accepted') return complete(request, socket, head, target)
        inFlight--
        if (verdict === 'rejected') reject(socket, { status: 401, message: 'Unauthorized' })
        else reject(socket, { status: 503, message: 'Handshake verification timed out' })
      })
      .catch((error: unknown) => {
        deps.options.logger.error('roomcast: upgrade failed', error)
        socket.destroy()
      })
  }
}
