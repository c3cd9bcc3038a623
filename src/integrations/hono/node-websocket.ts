/**
 * `createNodeWebSocket({ app, wss })` for @hono/node-server: every upgrade
 * runs through the Hono app, whose middleware may refuse it, and an
 * `upgradeWebSocket()` route hands it to roomcast with Hono's params.
 */
import type { EventEmitter } from 'node:events'
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Http2SecureServer, Http2Server } from 'node:http2'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import type { Context, MiddlewareHandler } from 'hono'
import { guardSocket, RoomcastServer } from '../../server/index.js'
import type { RouteHandler } from '../../types.js'
import { checkEvents, eventsHandler, type WebSocketEvents } from './events.js'
import { fetchRequest, writeResponse } from './fetch-bridge.js'

/** What `c.env` holds during an upgrade: @hono/node-server's bindings, without a response. */
export interface UpgradeBindings {
  incoming: IncomingMessage
  outgoing: undefined
}

/** A Hono app, as far as upgrades need it. */
export interface FetchApp {
  fetch(request: Request, env: UpgradeBindings): Response | Promise<Response>
}

export interface NodeWebSocketInit {
  app: FetchApp
  /** The server whose rooms, broadcasts and handshake checks the routes share. */
  wss: RoomcastServer
}

/** A server `serve()` returns; only HTTP/1.1 ones ever upgrade. */
export type NodeServer = HttpServer | HttpsServer | Http2Server | Http2SecureServer

export interface NodeWebSocket {
  /**
   * Middleware that upgrades the request: `createEvents(c)` gives the hooks,
   * with Hono's context. A request that is not an upgrade goes on to
   * `next()` (Hono's 404 when nothing else answers).
   */
  upgradeWebSocket(
    createEvents: (c: Context) => WebSocketEvents | Promise<WebSocketEvents>,
  ): MiddlewareHandler
  /**
   * Sends every upgrade of `server` through the app. An upgrade no
   * `upgradeWebSocket()` route takes gets the app's answer (404, or a
   * middleware's refusal) on the socket.
   * @returns a function that stops listening.
   */
  injectWebSocket(server: NodeServer): () => void
}

/** An upgrade while the app routes it; a route's `upgradeWebSocket()` claims it. */
interface PendingUpgrade {
  claim: { handler: RouteHandler; params: Record<string, string> } | undefined
}

function incomingOf(env: unknown): IncomingMessage | undefined {
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined
  return env.incoming as IncomingMessage
}

/**
 * roomcast for Hono on @hono/node-server, shaped like @hono/node-ws: Hono
 * middleware before `upgradeWebSocket()` runs first and may refuse with its
 * status (the client's HTTP answer); roomcast's own checks (origin, auth,
 * `maxConnections`) follow. `conn.params` are the route's params.
 * @throws {TypeError} when `wss` is not a server from `createWebSocket()`.
 * @example
 * const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app, wss })
 * app.get('/ws/:room', upgradeWebSocket((c) => ({
 *   onOpen: (_event, conn) => conn.join(c.req.param('room')),
 *   onMessage: (event, conn) => conn.broadcast(c.req.param('room'), event.data),
 * })))
 * injectWebSocket(serve({ fetch: app.fetch, port: 3000 }))
 */
export function createNodeWebSocket(init: NodeWebSocketInit): NodeWebSocket {
  const { app, wss } = init
  if (!(wss instanceof RoomcastServer)) {
    throw new TypeError(
      'roomcast/hono: createNodeWebSocket({ wss }) takes a server from createWebSocket()',
    )
  }
  const pending = new WeakMap<IncomingMessage, PendingUpgrade>()

  const route = async (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    guardSocket(socket)
    const upgrade: PendingUpgrade = { claim: undefined }
    pending.set(request, upgrade)
    let response: Response
    try {
      response = await app.fetch(fetchRequest(request), { incoming: request, outgoing: undefined })
    } catch (error) {
      // A malformed URL never reached the app; anything else is the app's failure.
      response = new Response(null, { status: error instanceof TypeError ? 400 : 500 })
    } finally {
      pending.delete(request)
    }
    if (upgrade.claim === undefined) await writeResponse(socket, response)
    else wss.handleUpgrade(request, socket, head, upgrade.claim)
  }

  return {
    upgradeWebSocket: (createEvents) => async (c, next) => {
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return next()
      const incoming = incomingOf(c.env)
      const upgrade = incoming && pending.get(incoming)
      if (upgrade === undefined) {
        throw new TypeError(
          'roomcast/hono: upgradeWebSocket(): the upgrade did not come through injectWebSocket(server)',
        )
      }
      const events = checkEvents(await createEvents(c))
      upgrade.claim = { handler: eventsHandler(events), params: c.req.param() }
      // Never sent: injectWebSocket() upgrades instead.
      return c.body(null)
    },
    injectWebSocket: (server) => {
      const listener = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        // Another listener's handshake (Vite's HMR): not Hono's, not ours.
        if (wss.ignoresUpgrade(request)) return
        void route(request, socket, head)
      }
      const emitter: EventEmitter = server
      emitter.on('upgrade', listener)
      return () => {
        emitter.off('upgrade', listener)
      }
    },
  }
}
