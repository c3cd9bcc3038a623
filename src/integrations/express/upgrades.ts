/**
 * Express-routed WebSocket upgrades: every upgrade of an http server goes
 * through the Express app first, so its middleware (auth, logging, rate
 * limits) runs and may refuse with its own status; a `websocket()` route
 * handler then upgrades with Express's `req.params`. Express 4 and 5.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { writeRejection } from '../../server/handshake.js'
import type { RoomcastServer } from '../../server/index.js'
import type { RouteHandler, WSConnection } from '../../types.js'
import { refusalResponse } from '../upgrade-response.js'

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
  params?: Record<string, string>
  originalUrl?: string
}

/** An upgrade waiting in the Express chain for a `websocket()` handler. */
interface PendingUpgrade {
  readonly wss: RoomcastServer
  readonly socket: Duplex
  readonly head: Buffer
  readonly url: string | undefined
  taken: boolean
}

const PENDING = Symbol('roomcast.expressUpgrade')
type WithPending = IncomingMessage & { [PENDING]?: PendingUpgrade }

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
  if (typeof handler !== 'function')
    throw new TypeError('websocket(handler): handler must be a function')
  return (request, response) => {
    const pending = (request as WithPending)[PENDING]
    if (pending === undefined || pending.taken) {
      response.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade' })
      response.end(UPGRADE_REQUIRED)
      return
    }
    pending.taken = true
    // A mounted router rewrote req.url; the connection keeps the path the client asked for.
    request.url = pending.url
    const routed = request as RoutedRequest & ExpressWebSocketRequest
    pending.wss.handleUpgrade(request, pending.socket, pending.head, {
      handler: (conn, upgraded) => {
        routed.ws = conn
        return handler(conn, upgraded)
      },
      params: { ...routed.params },
    })
  }
}

/**
 * Sends every upgrade of `server` through `app`: middleware runs with
 * `req.isWebSocket === true` and may answer (that answer is the client's
 * HTTP refusal); `websocket()` handlers upgrade; an upgrade no Express route
 * took goes to `wss`'s own routes (404 when none matches). An error passed to
 * `next()` is a 500. Use it instead of `wss.attach(server)`.
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
    // Until roomcast takes the socket over, a reset must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy())
    const pending: PendingUpgrade = { wss, socket, head, url: request.url, taken: false }
    Object.assign(request, { [PENDING]: pending, isWebSocket: true, wss })
    app(request, refusalResponse(request, socket), (error) => {
      if (pending.taken || socket.destroyed) return
      if (error !== undefined && error !== 'route' && error !== 'router') {
        writeRejection(socket, { status: 500, message: 'Internal Server Error' })
        return
      }
      pending.taken = true
      request.url = pending.url
      wss.handleUpgrade(request, socket, head)
    })
  }
  server.on('upgrade', listener)
  return () => {
    server.off('upgrade', listener)
  }
}
