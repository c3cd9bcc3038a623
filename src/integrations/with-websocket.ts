/** withWebSocket(): an http server that serves the app, handles upgrades and resists slowloris. */
import { createServer, type RequestListener, type Server } from 'node:http'
import type { RoomcastServer } from '../server/index.js'

/** An app to serve: a request listener (Express, Connect) or an object with `callback()` (Koa). */
export type HttpApp = RequestListener | { callback(): RequestListener }

export interface WithWebSocketOptions {
  /** Time allowed to receive a request's headers (ms); cuts slowloris clients off. @default 10000 */
  headersTimeout?: number
  /** Time allowed to receive a whole request (ms). @default 60000 */
  requestTimeout?: number
}

/**
 * Creates an http server for `app`, attaches `wss` and listens on `port`.
 * Header and request timeouts are far tighter than Node's defaults, and
 * enforced about four times per `headersTimeout`, so a client trickling its
 * headers is cut off within seconds.
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
  const listener = typeof app === 'function' ? app : app.callback()
  const headersTimeout = options.headersTimeout ?? 10_000
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(options.requestTimeout ?? 60_000, headersTimeout),
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    listener,
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  // Attached only once listening, so a failed listen (EADDRINUSE) leaves wss untouched.
  wss.attach(server)
  return server
}
