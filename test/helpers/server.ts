/** Starts a roomcast server on an ephemeral loopback port and tears it down. */
import { createServer, type RequestListener, type Server } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  createWebSocket,
  type Logger,
  type RoomcastServer,
  type WebSocketOptions,
} from '../../src/index.ts'
import { within } from './timeout.ts'

/** A logger that records instead of printing. */
export function recordingLogger(): Logger & {
  entries: Array<{ level: string; message: string; details: unknown[] }>
} {
  const entries: Array<{ level: string; message: string; details: unknown[] }> = []
  return {
    entries,
    error: (message, ...details) => entries.push({ level: 'error', message, details }),
    warn: (message, ...details) => entries.push({ level: 'warn', message, details }),
  }
}

export interface TestServer {
  wss: RoomcastServer
  http: Server
  port: number
  /** `ws://127.0.0.1:<port><path>` */
  url(path?: string): string
  close(): Promise<void>
}

/** Creates the server, lets `setup` register routes, attaches and listens on 127.0.0.1:0. */
export async function startServer(
  options: WebSocketOptions = {},
  setup?: (wss: RoomcastServer) => void,
  app?: RequestListener,
): Promise<TestServer> {
  const wss = createWebSocket({ logger: recordingLogger(), ...options })
  setup?.(wss)
  // Timeouts set, as a careful application sets them: Node's defaults draw a slowloris warning.
  const http = createServer(
    { headersTimeout: 10_000, requestTimeout: 60_000 },
    app ?? ((_req, res) => res.writeHead(404).end()),
  )
  wss.attach(http)
  const port = await listenOnLoopback(http)
  return {
    wss,
    http,
    port,
    url: (path = '/') => `ws://127.0.0.1:${port}${path}`,
    close: () => shutdown(wss, http),
  }
}

/** Listens on an ephemeral port on 127.0.0.1 and resolves with the port. */
export async function listenOnLoopback(server: Server | HttpsServer): Promise<number> {
  await within(
    new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
    2000,
    'listen',
  )
  return (server.address() as AddressInfo).port
}

/** Drops every HTTP connection, then closes the server. */
export async function closeHttp(server: Server | HttpsServer): Promise<void> {
  server.closeAllConnections()
  await within(
    new Promise<void>((resolve) => server.close(() => resolve())),
    2000,
    'server.close()',
  )
}

/** Closes the WebSocket side, then every HTTP connection, then the server. */
export async function shutdown(wss: RoomcastServer, server: Server | HttpsServer): Promise<void> {
  await within(wss.close(), 8000, 'wss.close()')
  await closeHttp(server)
}
