/**
 * Seed 001's (NextRush v2's) `WebSocketPlugin`: `install(app)` gives an
 * Express, Koa, Fastify or Hono app (or a plain http server) `app.ws()`,
 * `app.wsUse()` and `app.wsBroadcast()`, and HTTP handlers `isWebSocket` and
 * `wsRooms`, over one roomcast server.
 */
import type { Server as HttpServer } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import { expressUpgrades } from '../integrations/express/upgrades.js'
import { createWebSocket, type RoomcastServer } from '../server/server.js'
import type { WebSocketStats } from '../server/stats.js'
import type { Middleware, RouteHandler, SendData, WSConnection } from '../types.js'
import { appKind, enhanceContext, type PluginApp } from './plugin-apps.js'
import { serverOptions, type WebSocketPluginOptions } from './plugin-options.js'

export type { WebSocketPluginOptions } from './plugin-options.js'

/** Rooms as HTTP handlers reach them (`ctx.wsRooms`, `req.wsRooms`). */
export interface WSRoomManager {
  /** Sends `message` to the room's members. @returns how many it reached here. */
  broadcast(room: string, message: SendData): number
  getRooms(): string[]
  getRoomConnections(room: string): WSConnection[]
}

/** What `install()` adds to the app. */
export interface WebSocketApp {
  ws(path: string, handler: RouteHandler): this
  wsUse(middleware: Middleware): this
  /** To every connection, or to one room's members. */
  wsBroadcast(message: SendData, room?: string): this
}

/** `getStats()`: seed 001's shape, with roomcast's own statistics beside it. */
export interface WebSocketPluginStats {
  totalConnections: number
  /** Rooms with members now. */
  rooms: string[]
  roomcast: WebSocketStats
}

/** Seed 001's names for a route handler and a WebSocket middleware. */
export type WSHandler = RouteHandler
export type WSMiddleware = Middleware

/**
 * `http.close()` closes the WebSocket connections first: the http server
 * would otherwise wait for them to end by themselves, and never close.
 */
function closeFirst(http: HttpServer, server: RoomcastServer): void {
  const close = http.close.bind(http)
  http.close = ((callback?: (error?: Error) => void) => {
    void server.close().then(() => close(callback))
    return http
  }) as typeof http.close
}

export class WebSocketPlugin {
  /** The roomcast server underneath. */
  readonly server: RoomcastServer
  readonly #rooms: WSRoomManager

  /** @throws {RoomcastError} `ERR_INVALID_OPTION` for an option the plugin does not have. */
  constructor(options: WebSocketPluginOptions = {}) {
    const server = createWebSocket(serverOptions(options))
    this.server = server
    this.#rooms = {
      broadcast: (room, message) => server.broadcastToRoom(room, message),
      getRooms: () => server.getRooms(),
      getRoomConnections: (room) => server.getRoomConnections(room),
    }
  }

  /**
   * Adds `ws`, `wsUse` and `wsBroadcast` to `app` and the WebSocket context
   * to its HTTP handlers, and serves upgrades where the app listens:
   * Express and Koa through their `listen()`, Fastify on `fastify.server`, an
   * http server at once; a Hono app has no server of its own: pass the one
   * `serve()` returned to {@link attach}.
   * @throws {TypeError} for an app of another kind, or one that already has `ws`.
   * @example
   * const app = express()
   * new WebSocketPlugin({ path: '/chat' }).install(app)
   * app.ws('/chat', (socket) => socket.join('general'))
   * app.listen(3000)
   */
  install<A extends PluginApp>(app: A): A & WebSocketApp {
    const kind = appKind(app)
    const target = app as A & Partial<WebSocketApp>
    if (target.ws !== undefined)
      throw new TypeError('WebSocketPlugin.install(app): app already has ws()')
    const server = this.server
    Object.assign(target, {
      ws(path: string, handler: RouteHandler) {
        // Seed 001's context: the upgrade request's `ws` is its connection.
        server.on(path, (conn, request) => {
          Object.assign(request, { ws: conn })
          return handler(conn, request)
        })
        return this
      },
      wsUse(middleware: Middleware) {
        server.use(middleware)
        return this
      },
      wsBroadcast(message: SendData, room?: string) {
        if (room === undefined) server.broadcast(message)
        else server.broadcastToRoom(room, message)
        return this
      },
    } satisfies WebSocketApp)
    enhanceContext(kind, this.#rooms)
    this.#serve(kind, app)
    return target as A & WebSocketApp
  }

  /** Serves upgrades on `server` (a Hono app's, or any other). */
  attach(server: HttpServer | HttpsServer): this {
    this.server.attach(server)
    return this
  }

  getStats(): WebSocketPluginStats {
    const rooms = this.server.getRooms()
    return {
      totalConnections: this.server.getConnectionCount(),
      rooms,
      roomcast: this.server.getStats(),
    }
  }

  #serve(kind: ReturnType<typeof appKind>, app: PluginApp): void {
    const server = this.server
    switch (kind.name) {
      case 'http':
        server.attach(app as HttpServer)
        return
      case 'fastify':
        server.attach(kind.app.server)
        // Before the http server closes, which waits for every WebSocket connection to end.
        kind.app.addHook('preClose', async () => server.close())
        return
      case 'express':
      case 'koa': {
        const listen = kind.app.listen.bind(kind.app)
        // The app makes its http server in listen(): serve upgrades on the one it returns.
        kind.app.listen = ((...args: unknown[]) => {
          const http = (listen as (...a: unknown[]) => HttpServer)(...args)
          if (kind.name === 'express') expressUpgrades(kind.app, server, http)
          else server.attach(http)
          closeFirst(http, server)
          return http
        }) as typeof kind.app.listen
        return
      }
      case 'hono':
        return
    }
  }
}
