/** Starts a roomcast server on an ephemeral loopback port and tears it down. */
import { createServer, type RequestListener, type Server } from 'node:http'
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
  const http = createServer(app ?? ((_req, res) => res.writeHead(404).end()))
  wss.attach(http)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const port = (http.address() as AddressInfo).port
  return {
    wss,
    http,
    port,
    url: (path = '/') => `ws://127.0.0.1:${port}${path}`,
    close: async () => {
      await within(wss.close(), 8000, 'wss.close()')
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}
