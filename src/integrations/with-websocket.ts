/** withWebSocket(): an http server that serves the app, handles upgrades and resists slowloris. */
import type { RequestListener, Server } from 'node:http'
import { assertKnownKeys, keySet } from '../options/index.js'
import type { RoomcastServer } from '../server/index.js'
import { createHardenedServer, type HttpTimeouts, listenOn } from './http-server.js'

/** An app to serve: a request listener (Express, Connect) or an object with `callback()` (Koa). */
export type HttpApp = RequestListener | { callback(): RequestListener }

export type WithWebSocketOptions = HttpTimeouts

const WITH_WEBSOCKET_KEYS = keySet<WithWebSocketOptions>({
  headersTimeout: true,
  requestTimeout: true,
})

/**
 * Creates an http server for `app`, attaches `wss` and listens on `port`.
 * Header and request timeouts are far tighter than Node's defaults, so a
 * client trickling its headers is cut off within seconds.
 * @throws {RoomcastError} (rejects) `ERR_INVALID_OPTION` for an option it does not have.
 * @example
 * const server = await withWebSocket(app, wss, 3000)
 */
export async function withWebSocket(
  app: HttpApp,
  wss: RoomcastServer,
  port: number,
  host?: string,
  options: WithWebSocketOptions = {},
): Promise<Server> {
  assertKnownKeys(options, WITH_WEBSOCKET_KEYS, {
    object: 'withWebSocket',
    scope: 'withWebSocket',
  })
  const server = createHardenedServer(typeof app === 'function' ? app : app.callback(), options)
  await listenOn(server, port, host)
  // Attached only once listening, so a failed listen (EADDRINUSE) leaves wss untouched.
  wss.attach(server)
  return server
}
