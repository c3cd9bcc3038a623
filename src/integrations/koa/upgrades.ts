/**
 * Koa-routed upgrades: every upgrade of an http server runs through the Koa
 * app's middleware, whose answer (a 401 from an auth check) is the client's
 * HTTP refusal unless a middleware takes the socket with `ctx.ws()`.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { holdUpgrade } from '../held-upgrade.js'

/** A Koa application (2 or 3), as far as upgrades need it. */
export interface KoaApp {
  callback(): (request: IncomingMessage, response: ServerResponse) => Promise<void>
}

/**
 * Sends every upgrade of `server` through `app`. Middleware sees
 * `ctx.isWebSocket === true` and may answer; `ctx.ws()` (from `websocket(wss)`)
 * hands the socket to roomcast. An upgrade no middleware takes gets Koa's
 * answer (404 by default). Use it instead of `wss.attach(server)`.
 * @returns a function that stops listening.
 * @example
 * const server = app.listen(3000)
 * koaUpgrades(app, server)
 */
export function koaUpgrades(app: KoaApp, server: HttpServer | HttpsServer): () => void {
  const listener = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // callback() per upgrade, as Koa composes its middleware when called: later app.use() counts.
    void app.callback()(request, holdUpgrade(request, socket, head).response)
  }
  server.on('upgrade', listener)
  return () => {
    server.off('upgrade', listener)
  }
}
