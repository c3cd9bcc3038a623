/** Handshake pipeline: route → closing → request (strict deflate) → origin → per-address limits → capacity → token → auth hooks → still alive → upgrade. */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { JwtAuth, VerifiedToken } from '../auth/index.js'
import type { ConnectionSocket } from '../connection/connection-socket.js'
import type { ConnectionRoute, ConnectionSettings } from '../connection/index.js'
import { toError } from '../errors.js'
import { logSafely } from '../hooks.js'
import type { AuthResult, ResolvedOptions } from '../options/index.js'
import { readHello } from '../recovery/index.js'
import { type RouteMatch, splitPath } from '../routes/index.js'
import type { RoutedUpgrade, RouteHandler } from '../types.js'
import { debugLog, describeRequest } from './debug-log.js'
import { deflateMismatch, strictDeflate } from './deflate-strict.js'
import {
  checkHandshakeRequest,
  guardSocket,
  type Rejection,
  unguardSocket,
  writeRejection,
} from './handshake.js'
import { IpLimits } from './ip-limits.js'
import { createOriginCheck } from './origin.js'
import type { Unmatched } from './upgrade-listeners.js'
import { decide, type Verdict } from './verification.js'
import type { WsServer } from './ws-servers.js'

export type Authenticate = (request: IncomingMessage) => AuthResult | Promise<AuthResult>

/** What a route pattern leads to: its handler (none for `path` entries) and settings. */
export interface RouteEntry {
  readonly handler: RouteHandler | undefined
  readonly settings: ConnectionSettings
  /** The ws server that upgrades for this route (its own when it sets ws-level options). */
  readonly wsServer: WsServer
  readonly authenticate: Authenticate | undefined
  /** Route objects parse and dispatch their own messages; `on()` routes get the server's controllers. */
  readonly routeObject: boolean
}

/** A routed, accepted request: where it goes, and who it belongs to once verified. */
export interface AcceptedRoute extends ConnectionRoute {
  entry: RouteEntry
}

export interface UpgradeDeps {
  readonly options: ResolvedOptions
  isClosing(): boolean
  route(segments: string[]): RouteMatch<RouteEntry> | undefined
  /** The entry of an upgrade a framework routed: the server's settings with its handler. */
  routedEntry(handler: RouteHandler): RouteEntry
  connectionCount(): number
  rejected(status: number): void
  /** Verifies the handshake's token: `undefined` for an anonymous one, a throw to refuse. */
  admit(auth: JwtAuth, request: IncomingMessage, search: string): Promise<VerifiedToken | undefined>
  /** Whether a token verified earlier in this handshake was not revoked since. */
  stillAdmitted(token: VerifiedToken): boolean
  /** Finds the session a roomcast client asks to resume, after auth (with `recovery`). */
  resume: ((route: AcceptedRoute) => Promise<void>) | undefined
  accept(socket: ConnectionSocket, request: IncomingMessage, route: AcceptedRoute): void
}

export interface UpgradePipeline {
  /** Whether the handshake offers a subprotocol another listener owns (`ignoreProtocols`). */
  ignores(request: IncomingMessage): boolean
  handle(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    unmatched?: Unmatched,
    routed?: RoutedUpgrade,
  ): void
  /** Ends every handshake waiting on `verifyClient` with 503 at once (for `close()`). */
  abortPending(): void
}

const SHUTTING_DOWN: Rejection = { status: 503, message: 'Server is shutting down' }
const UNAUTHORIZED: Rejection = { status: 401, message: 'Unauthorized' }

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
  const ipLimits = new IpLimits(options.ipLimits)
  const pendingAborts = new Set<() => void>()
  let inFlight = 0

  /** `reason` is for `debug: true` only; the client gets `rejection.message`. */
  const reject = (
    request: IncomingMessage,
    socket: Duplex,
    rejection: Rejection,
    reason = rejection.message,
  ): void => {
    deps.rejected(rejection.status)
    const line = `roomcast: handshake refused: ${rejection.status} ${reason} (${describeRequest(request)})`
    if (options.debug) debugLog(options.logger, line)
    // Why a token was refused never reaches the client: the logger's debug level hears it.
    else if (rejection.status === 401) options.logger.debug?.(line)
    writeRejection(socket, rejection)
  }

  const logAccepted = (request: IncomingMessage, ws: ConnectionSocket): void => {
    const protocol = ws.protocol === '' ? '' : `, protocol ${ws.protocol}`
    const extensions = ws.extensions === '' ? '' : `, ${ws.extensions}`
    debugLog(
      options.logger,
      `roomcast: handshake accepted (${describeRequest(request)}${protocol}${extensions})`,
    )
  }

  /**
   * Verifies the token, then runs `verifyClient` and the route's
   * `authenticate`, bounded together by `handshakeTimeout`; a throw or
   * rejection counts as `false`.
   */
  const verify = async (request: IncomingMessage, target: AcceptedRoute): Promise<Verdict> => {
    const entry = target.entry
    let timer: NodeJS.Timeout | undefined
    let abort = () => {}
    const bounds = new Promise<Verdict>((resolve) => {
      timer = setTimeout(resolve, options.handshakeTimeout, 'timeout')
      timer.unref()
      abort = () => resolve('aborted')
    })
    pendingAborts.add(abort)
    const decision = decide(request, target, {
      admit: deps.admit,
      verifyClient: options.verifyClient,
      authenticate: entry.authenticate,
      logger: options.logger,
    })
    try {
      return await Promise.race([decision, bounds])
    } finally {
      clearTimeout(timer)
      pendingAborts.delete(abort)
    }
  }

  const route = (
    request: IncomingMessage,
    routed: RoutedUpgrade | undefined,
  ): AcceptedRoute | Rejection => {
    const { path, search } = splitUrl(request.url ?? '/')
    const segments = splitPath(path)
    if (segments === undefined) return { status: 400, message: 'Malformed request path' }
    const match =
      routed === undefined
        ? deps.route(segments)
        : { value: deps.routedEntry(routed.handler), params: { ...routed.params }, pattern: path }
    if (match === undefined) return { status: 404, message: `No WebSocket route for ${path}` }
    const entry = match.value
    // A roomcast client's own parameters are not the application's query.
    const { hello, search: query } = readHello(search)
    return {
      url: path,
      params: match.params,
      // A framework's router knows its pattern; `path` here is the concrete URL.
      pattern: routed === undefined ? match.pattern : undefined,
      search: query,
      settings: entry.settings,
      identity: undefined,
      entry,
      hello,
    }
  }

  /** Resumes a session first when the client asks to (bounded like verification), then upgrades. */
  const proceed = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: AcceptedRoute,
  ) => {
    const resume = deps.resume
    if (resume === undefined || !target.hello?.sessionId)
      return complete(request, socket, head, target)
    inFlight++
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.handshakeTimeout).unref()
    })
    Promise.race([resume(target), bound])
      .catch((error: unknown) =>
        logSafely(
          options.logger,
          'warn',
          'roomcast: session lookup failed; starting fresh',
          toError(error),
        ),
      )
      .then(() => complete(request, socket, head, target))
      .finally(() => {
        clearTimeout(timer)
        inFlight--
      })
  }

  const complete = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: AcceptedRoute,
  ) => {
    // A client that left during verifyClient may leave a half-open socket: check both sides.
    if (socket.destroyed || !socket.readable || !socket.writable) {
      if (options.debug) {
        debugLog(
          options.logger,
          `roomcast: handshake dropped: the client left during verification (${describeRequest(request)})`,
        )
      }
      socket.destroy()
      return
    }
    if (deps.isClosing()) return reject(request, socket, SHUTTING_DOWN)
    if (target.token !== undefined && !deps.stillAdmitted(target.token)) {
      return reject(request, socket, UNAUTHORIZED, 'token revoked during the handshake')
    }
    try {
      // Synchronous here: ws has no verifyClient of its own, so it upgrades or refuses at once.
      target.entry.wsServer.handleUpgrade(request, socket, head, (ws) => {
        unguardSocket(socket)
        if (options.debug) logAccepted(request, ws)
        deps.accept(ws, request, target)
      })
    } catch (error) {
      // Another listener already upgraded this socket (two servers on one route): it is theirs.
      logSafely(options.logger, 'error', 'roomcast: could not upgrade', toError(error))
    }
  }

  const ignored = new Set(options.ignoreProtocols)
  /** Whether the handshake offers a subprotocol another listener owns. */
  const othersProtocol = (request: IncomingMessage): boolean => {
    const offered = request.headers['sec-websocket-protocol']
    if (ignored.size === 0 || offered === undefined) return false
    return offered.split(',').some((protocol) => ignored.has(protocol.trim()))
  }

  const handle = (
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    unmatched: Unmatched,
    routed: RoutedUpgrade | undefined,
  ) => {
    if (socket.destroyed) return
    const target: AcceptedRoute | Rejection = othersProtocol(request)
      ? { status: 404, message: 'No WebSocket route for this subprotocol' }
      : route(request, routed)
    if ('status' in target && target.status === 404 && unmatched === 'ignore') return
    guardSocket(socket)
    if ('status' in target) return reject(request, socket, target)
    if (deps.isClosing()) return reject(request, socket, SHUTTING_DOWN)
    const invalid = checkHandshakeRequest(request)
    if (invalid) return reject(request, socket, invalid)
    const strict = strictDeflate(target.entry.wsServer.options.perMessageDeflate)
    if (strict !== undefined) {
      const mismatch = deflateMismatch(request.headers['sec-websocket-extensions'], strict)
      if (mismatch !== undefined) {
        return reject(
          request,
          socket,
          { status: 400, message: 'permessage-deflate offer does not match the server' },
          `permessage-deflate mismatch (strict): ${mismatch}`,
        )
      }
    }
    const origin = request.headers.origin
    if (!originAllowed(origin)) {
      return reject(
        request,
        socket,
        { status: 403, message: 'Origin not allowed' },
        origin === undefined
          ? 'origin missing (allowedOrigins is set)'
          : `origin not allowed: ${origin}`,
      )
    }
    if (ipLimits.active) {
      const address = ipLimits.addressOf(request)
      const refused = ipLimits.admit(address, Date.now())
      if (refused !== undefined) {
        return reject(request, socket, refused, `${refused.message} (${address})`)
      }
      // The socket is the handshake's and then the connection's: its end frees the slot.
      if (ipLimits.holdsSlots) socket.once('close', () => ipLimits.release(address))
    }
    const max = options.maxConnections
    if (max > 0 && deps.connectionCount() + inFlight >= max) {
      return reject(
        request,
        socket,
        { status: 503, message: 'Server is at its connection limit' },
        `at the connection limit (maxConnections ${max})`,
      )
    }
    inFlight++
    if (
      options.verifyClient === undefined &&
      target.entry.authenticate === undefined &&
      target.entry.settings.auth === undefined
    ) {
      try {
        return proceed(request, socket, head, target)
      } finally {
        inFlight--
      }
    }
    verify(request, target)
      .then((verdict) => {
        if (typeof verdict === 'object') {
          if ('identity' in verdict) {
            target.identity = verdict.identity
            target.token = verdict.token
            return proceed(request, socket, head, target)
          }
          reject(request, socket, UNAUTHORIZED, verdict.rejected)
        } else if (verdict === 'timeout') {
          reject(
            request,
            socket,
            { status: 503, message: 'Handshake verification timed out' },
            `verification took longer than handshakeTimeout (${options.handshakeTimeout} ms)`,
          )
        } else reject(request, socket, SHUTTING_DOWN)
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
    handle: (request, socket, head, unmatched = 'reject', routed = undefined) =>
      handle(request, socket, head, unmatched, routed),
    ignores: othersProtocol,
    abortPending: () => {
      for (const abort of pendingAborts) abort()
    },
  }
}
