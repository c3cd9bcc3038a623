/** Hands the test each server-side connection, in the order the server accepts them. */
import type { WebSocketOptions, WSConnection } from '../../src/index.ts'
import { type ConnectOptions, connect, type TestClient } from './client.ts'
import { startServer, type TestServer } from './server.ts'
import { within } from './timeout.ts'

/** A queue the server side `push`es accepted connections onto and the test awaits with `next()`. */
export function connectionQueue(label = 'server connection') {
  const ready: WSConnection[] = []
  const waiters: Array<(conn: WSConnection) => void> = []
  return {
    push(conn: WSConnection): void {
      const waiter = waiters.shift()
      if (waiter) waiter(conn)
      else ready.push(conn)
    },
    next(): Promise<WSConnection> {
      const conn = ready.shift()
      if (conn) return Promise.resolve(conn)
      return within(new Promise((resolve) => waiters.push(resolve)), 3000, label)
    },
  }
}

/** A client and the server-side connection it opened. */
export interface Pair {
  client: TestClient
  conn: WSConnection
}

export interface Harness {
  srv: TestServer
  /** Connects a client (with extra request `headers`) and resolves with it and the server-side connection. */
  open(headers?: Record<string, string>): Promise<Pair>
  /** Closes the server, then terminates every client it opened. */
  close(): Promise<void>
}

/**
 * A server whose connections are handed to the test through onConnection in the order they
 * open; `open()` connects to `path` with the `client` options.
 */
export async function harness(
  options: WebSocketOptions = {},
  { path = '/', client = {} }: { path?: string; client?: ConnectOptions } = {},
): Promise<Harness> {
  const accepted = connectionQueue()
  const clients: TestClient[] = []
  const srv = await startServer({ ...options, onConnection: (conn) => accepted.push(conn) })
  return {
    srv,
    open: async (headers) => {
      const opened = await connect(srv.url(path), headers ? { ...client, headers } : client)
      clients.push(opened)
      return { client: opened, conn: await accepted.next() }
    },
    close: async () => {
      await srv.close()
      for (const opened of clients) opened.ws.terminate()
    },
  }
}

/**
 * Each pair's next message as text (`binary:` prefixed for binary frames), or
 * `null` when none arrived within `ms`: what every client got from one send.
 */
export function nextOfEach(pairs: Pair[], ms = 80): Promise<Array<string | null>> {
  return Promise.all(
    pairs.map(async (p) => {
      try {
        const message = await p.client.next(ms)
        return typeof message === 'string' ? message : `binary:${message.toString()}`
      } catch {
        return null
      }
    }),
  )
}

/** Opens one client per entry, joining its server-side connection to the rooms listed. */
export async function openMembers(h: Harness, memberships: string[][]): Promise<Pair[]> {
  const pairs: Pair[] = []
  for (const rooms of memberships) {
    const pair = await h.open()
    for (const room of rooms) pair.conn.join(room)
    pairs.push(pair)
  }
  return pairs
}
