/**
 * Express-routed WebSocket upgrades: every upgrade of an http server goes
 * through the Express app first, so its middleware (auth, logging, rate
 * limits) runs and may refuse with its own status; a `websocket()` route
 * handler then upgrades with Express's `req.params`. Express 4 and 5.
 */
import {
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import type { RoomcastServer } from '../../server/index.js'
import type { RouteHandler, WSConnection } from '../../types.js'
import { heldUpgradeOf, holdUpgrade } from '../held-upgrade.js'

/** An Express application, or anything callable like one (`app(req, res, next)`). */
export type ExpressApp = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void

/** An Express route handler. */
export type ExpressHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void

/** What Express gives a routed request, as far as upgrades need it. */
interface RoutedRequest extends IncomingMessage {
  /** Express 5 gives a wildcard's segments as an array. */
  params?: Record<string, string | string[]>
}

/** `conn.params` are strings, whichever Express made them. */
function stringParams(params: RoutedRequest['params']): Record<string, string> {
  const strings: Record<string, string> = {}
  for (const [name, value] of Object.entries(params ?? {})) {
    strings[name] = Array.isArray(value) ? value.join('/') : String(value)
  }
  return strings
}

/** The status an error passed to `next()` carries (http-errors, express-jwt), else 500. */
function statusOf(error: unknown): number {
  const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown }
  const code = typeof status === 'number' ? status : statusCode
  return typeof code === 'number' && code >= 400 && code <= 599 ? code : 500
}

/** The path the client asked for: a mounted router rewrites `req.url` as it routes. */
const ORIGINAL_URL = Symbol('roomcast.originalUrl')
type WithUrl = IncomingMessage & { [ORIGINAL_URL]?: string | undefined }

/** A request seen by Express during an upgrade: seed 001's context. */
export interface ExpressWebSocketRequest extends IncomingMessage {
  /** `true` while Express routes a WebSocket upgrade. */
  isWebSocket: boolean
  wss: RoomcastServer
  /** The connection, once a `websocket()` handler has upgraded the request. */
  ws?: WSConnection
}

const UPGRADE_REQUIRED = 'This path only accepts WebSocket connections'

/**
 * A route handler that upgrades the request: `conn.params` are Express's
 * `req.params` and `req.ws` is the connection. A plain HTTP request gets 426.
 * @example
 * app.get('/chat/:room', websocket((conn) => conn.join(conn.params.room ?? 'lobby')))
 */
export function websocket(handler: RouteHandler): ExpressHandler {
  if (typeof handler !== 'function') {
    throw new TypeError('websocket(handler): handler must be a function')
  }
  return (request, response) => {
    const held = heldUpgradeOf(request)
    const upgrade = held?.take()
    if (upgrade === undefined) {
      response.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade' })
      response.end(UPGRADE_REQUIRED)
      return
    }
    request.url = (request as WithUrl)[ORIGINAL_URL]
    const routed = request as RoutedRequest & ExpressWebSocketRequest
    routed.wss.handleUpgrade(request, upgrade.socket, upgrade.head, {
      handler: (conn, upgraded) => {
        routed.ws = conn
        return handler(conn, upgraded)
      },
      params: stringParams(routed.params),
    })
  }
}

/**
 * Sends every upgrade of `server` through `app`: middleware runs with
 * `req.isWebSocket === true` and may answer (that answer is the client's
 * HTTP refusal); `websocket()` handlers upgrade; an upgrade no Express route
 * took goes to `wss`'s own routes (404 when none matches). An error passed to
 * `next()` is refused with its `status` (else 500). A handshake offering one
 * of `wss`'s `ignoreProtocols` is left to the server's other listeners. Use it instead of `wss.attach(server)`.
 * @returns a function that stops listening.
 * @example
 * const server = app.listen(3000)
 * expressUpgrades(app, wss, server)
 */
export function expressUpgrades(
  app: ExpressApp,
  wss: RoomcastServer,
  server: HttpServer | HttpsServer,
): () => void {
  const listener = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Another listener's handshake (Vite's HMR): not the app's, not ours.
    if (wss.ignoresUpgrade(request)) return
    const held = holdUpgrade(request, socket, head)
    Object.assign(request, { [ORIGINAL_URL]: request.url, isWebSocket: true, wss })
    app(request, held.response, (error) => {
      if (error !== undefined) {
        const status = statusOf(error)
        held.response.statusCode = status
        held.response.end(STATUS_CODES[status] ?? 'Error')
        return
      }
      const upgrade = held.take()
      if (upgrade === undefined) return
      request.url = (request as WithUrl)[ORIGINAL_URL]
      wss.handleUpgrade(request, upgrade.socket, upgrade.head)
    })
  }
  server.on('upgrade', listener)
  return () => {
    server.off('upgrade', listener)
  }
}
