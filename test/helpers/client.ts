/** Test clients: a `ws` client with an awaitable message queue, and raw HTTP handshakes. */
import { connect as netConnect } from 'node:net'
import WebSocket, { type ClientOptions } from 'ws'
import { within } from './timeout.ts'

export interface TestClient {
  ws: WebSocket
  /** The next message: `string` for text frames, `Buffer` for binary. */
  next(ms?: number): Promise<string | Buffer>
  /** Resolves when no message arrives for `ms`; rejects if one does. */
  nothingWithin(ms: number): Promise<void>
  /** Resolves with the close code and reason the client saw. */
  closed: Promise<{ code: number; reason: string }>
  send(data: string | Buffer): void
  close(code?: number, reason?: string): void
}

/** Opens a client and waits for the handshake. Rejects with the HTTP status on refusal. */
export async function connect(
  url: string,
  options: ClientOptions & { protocols?: string | string[] } = {},
): Promise<TestClient> {
  const { protocols, ...rest } = options
  const ws = new WebSocket(url, protocols, rest)
  const messages: Array<string | Buffer> = []
  const waiters: Array<(m: string | Buffer) => void> = []
  ws.on('message', (data: Buffer, isBinary) => {
    const message = isBinary ? data : data.toString()
    const waiter = waiters.shift()
    if (waiter) waiter(message)
    else messages.push(message)
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  ws.on('error', () => {})
  await within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('unexpected-response', (_req, res) => {
        reject(
          Object.assign(new Error(`handshake refused: ${res.statusCode}`), {
            status: res.statusCode,
          }),
        )
        ws.terminate()
      })
      ws.once('error', reject)
    }),
    3000,
    `connect ${url}`,
  )
  return {
    ws,
    closed,
    next: (ms = 3000) => {
      const queued = messages.shift()
      if (queued !== undefined) return Promise.resolve(queued)
      return within(new Promise((resolve) => waiters.push(resolve)), ms, 'next message')
    },
    nothingWithin: (ms) =>
      new Promise((resolve, reject) => {
        if (messages.length > 0) return reject(new Error(`unexpected message: ${messages[0]}`))
        const waiter = (m: string | Buffer) => reject(new Error(`unexpected message: ${m}`))
        waiters.push(waiter)
        setTimeout(() => {
          const i = waiters.indexOf(waiter)
          if (i !== -1) waiters.splice(i, 1)
          resolve()
        }, ms)
      }),
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  }
}

/** Connects and returns the HTTP status the server refused the handshake with. */
export async function refusedStatus(
  url: string,
  options: ClientOptions & { protocols?: string | string[] } = {},
): Promise<number> {
  try {
    const client = await connect(url, options)
    client.ws.terminate()
  } catch (error) {
    const status = (error as { status?: number }).status
    if (status !== undefined) return status
    throw error
  }
  throw new Error(`handshake to ${url} was accepted`)
}

export const VALID_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

/**
 * Sends a hand-written request on a raw socket and resolves with the full
 * response text once the server closes the socket (or `ms` passes).
 */
export function rawRequest(port: number, request: string, ms = 3000): Promise<string> {
  return within(
    new Promise((resolve, reject) => {
      const socket = netConnect(port, '127.0.0.1')
      let response = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk) => {
        response += chunk
      })
      socket.on('error', reject)
      socket.on('close', () => resolve(response))
      socket.write(request)
    }),
    ms,
    'raw request',
  )
}

/** A well-formed upgrade request for `path` with `headers` merged over the defaults. */
export function upgradeRequest(
  path: string,
  headers: Record<string, string | undefined> = {},
): string {
  const all: Record<string, string | undefined> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': VALID_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  }
  const lines = Object.entries(all).flatMap(([k, v]) => (v === undefined ? [] : [`${k}: ${v}`]))
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}

/** The status code of a raw HTTP response. */
export function statusOf(response: string): number {
  return Number(response.split(' ')[1])
}
