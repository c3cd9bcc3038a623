/** Test clients: a `ws` client with an awaitable message queue, and handshake outcomes. */
import assert from 'node:assert/strict'
import type { IncomingHttpHeaders } from 'node:http'
import WebSocket, { type ClientOptions } from 'ws'
import { delay, within } from './timeout.ts'

/** `ws` client options, plus the subprotocols to offer. */
export type ConnectOptions = ClientOptions & { protocols?: string | string[] }

export interface TestClient {
  ws: WebSocket
  /** The headers of the server's 101 response. */
  headers: IncomingHttpHeaders
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
export async function connect(url: string, options: ConnectOptions = {}): Promise<TestClient> {
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
  let headers: IncomingHttpHeaders = {}
  ws.once('upgrade', (res) => {
    headers = res.headers
  })
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
    headers,
    closed,
    next: (ms = 3000) => {
      const queued = messages.shift()
      if (queued !== undefined) return Promise.resolve(queued)
      let waiter: (m: string | Buffer) => void = () => {}
      const arrived = new Promise<string | Buffer>((resolve) => {
        waiter = resolve
        waiters.push(waiter)
      })
      // On timeout, withdraw the waiter so it cannot swallow a later message.
      return within(arrived, ms, 'next message').catch((error: unknown) => {
        const i = waiters.indexOf(waiter)
        if (i !== -1) waiters.splice(i, 1)
        throw error
      })
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
export async function refusedStatus(url: string, options: ConnectOptions = {}): Promise<number> {
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

/** 101 when the handshake was accepted (the client is then closed), else the refusal status. */
export async function handshakeOutcome(url: string, options: ConnectOptions = {}): Promise<number> {
  try {
    const client = await connect(url, options)
    client.close()
    await within(client.closed, 2000, 'client close')
    return 101
  } catch (error) {
    const status = (error as { status?: number }).status
    if (status !== undefined) return status
    throw error
  }
}

/** A `connect` that also pushes each client onto `clients`, for the file's teardown. */
export function connectInto(clients: TestClient[]) {
  return async (url: string, options: ConnectOptions = {}): Promise<TestClient> => {
    const client = await connect(url, options)
    clients.push(client)
    return client
  }
}

/** The client's close code and reason, bounded. */
export const closedOf = (client: TestClient) => within(client.closed, 3000, 'client close')

/** Asserts the client is not closed within `ms`. */
export async function assertStillOpen(client: TestClient, ms = 50): Promise<void> {
  const outcome = await Promise.race([client.closed, delay(ms).then(() => 'open' as const)])
  assert.equal(outcome, 'open')
}
