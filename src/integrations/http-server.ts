/** The http servers roomcast creates itself: slowloris-resistant timeouts, and a listen that rejects on failure. */
import { createServer, type RequestListener, type Server } from 'node:http'

/** Header and request timeouts (ms) of a server roomcast creates. */
export interface HttpTimeouts {
  /** Time allowed to receive a request's headers (ms); cuts slowloris clients off. @default 10000 */
  headersTimeout?: number
  /** Time allowed to receive a whole request (ms). @default 60000 */
  requestTimeout?: number
}

/**
 * An http server with timeouts far tighter than Node's defaults, enforced
 * about four times per `headersTimeout`, so a client trickling its headers
 * is cut off within seconds.
 */
export function createHardenedServer(
  listener: RequestListener,
  timeouts: HttpTimeouts = {},
): Server {
  const headersTimeout = timeouts.headersTimeout ?? 10_000
  return createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(timeouts.requestTimeout ?? 60_000, headersTimeout),
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
    },
    listener,
  )
}

// Node's own: a client may take a minute to send its headers, five to send a request.
const NODE_HEADERS_TIMEOUT = 60_000
const NODE_REQUEST_TIMEOUT = 300_000

/**
 * The warning for an http server left at Node's default timeouts, or
 * `undefined` when its timeouts were set (to anything: that was a choice).
 */
export function slowlorisWarning(server: {
  headersTimeout?: number
  requestTimeout?: number
}): string | undefined {
  if (server.headersTimeout !== NODE_HEADERS_TIMEOUT) return undefined
  if (server.requestTimeout !== NODE_REQUEST_TIMEOUT) return undefined
  return (
    "roomcast: attached to an http server with Node's default timeouts (headersTimeout 60 s, " +
    'requestTimeout 300 s): a slowloris client that trickles its handshake holds a socket for ' +
    'minutes, and a few thousand of them exhaust the server. Create it with ' +
    'createServer({ headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 2_000 }), ' +
    'or let roomcast create it: wss.listen(port) or withWebSocket(app, wss, port).'
  )
}

/** Resolves once `server` listens; rejects with the listen error (EADDRINUSE…). */
export function listenOn(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** Stops `server` listening and ends its idle keep-alive sockets; resolves when it has closed. */
export function closeHttpServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    server.closeIdleConnections()
  })
}

/** What a WebSocket-only server answers to plain HTTP requests (RFC 6455 §4.2.2: ask for the upgrade). */
export const upgradeRequired: RequestListener = (_request, response) => {
  response.writeHead(426, {
    Upgrade: 'websocket',
    'Content-Type': 'text/plain; charset=utf-8',
  })
  response.end('426 Upgrade Required: this endpoint speaks WebSocket only\n')
}
