/** Between Node's upgrade event and Hono's fetch: the request as a `Request`, a `Response` written on the raw socket. */
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/**
 * The upgrade request as Hono's `fetch` takes it.
 * @throws {TypeError} when the URL or Host header is malformed.
 */
export function fetchRequest(request: IncomingMessage): Request {
  const scheme = 'encrypted' in request.socket ? 'https' : 'http'
  const url = new URL(request.url ?? '/', `${scheme}://${request.headers.host ?? 'localhost'}`)
  const headers = new Headers()
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one)
  }
  return new Request(url, { method: request.method ?? 'GET', headers })
}

/** Headers about this connection or this body's framing, which the written response sets itself. */
const OWN_HEADERS = new Set([
  'connection',
  'content-length',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
])

/** Writes `response` on the socket as a complete HTTP/1.1 response, then closes it. */
export async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  let body: Buffer
  try {
    body = Buffer.from(await response.arrayBuffer())
  } catch {
    body = Buffer.alloc(0)
  }
  if (socket.destroyed || !socket.writable) {
    socket.destroy()
    return
  }
  const head = [
    `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`,
    'Connection: close',
    `Content-Length: ${body.length}`,
  ]
  for (const [name, value] of response.headers)
    if (!OWN_HEADERS.has(name)) head.push(`${name}: ${value}`)
  socket.once('finish', () => socket.destroy())
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]))
}
