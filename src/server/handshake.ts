/** The HTTP side of the opening handshake: request checks and written rejections. */
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/** A refused handshake: the HTTP status and what the response says. */
export interface Rejection {
  status: number
  message: string
  headers?: Record<string, string>
}

/** RFC 6455 §4.1: a base64-encoded 16-byte nonce is 22 characters plus `==`. */
const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/

/**
 * Checks the parts of an upgrade request RFC 6455 §4.2.1 requires, before any
 * application code runs. An unsupported version gets 426 with the version we
 * speak (§4.4); `ws` would answer 400.
 */
export function checkHandshakeRequest(request: IncomingMessage): Rejection | undefined {
  if (request.method !== 'GET') {
    return { status: 405, message: 'WebSocket handshakes must use GET', headers: { Allow: 'GET' } }
  }
  if (request.headers.upgrade?.toLowerCase() !== 'websocket') {
    return { status: 400, message: 'Missing or invalid Upgrade header' }
  }
  const key = request.headers['sec-websocket-key']
  if (key === undefined || !KEY_PATTERN.test(key)) {
    return { status: 400, message: 'Missing or invalid Sec-WebSocket-Key header' }
  }
  const version = request.headers['sec-websocket-version']
  if (version !== '13' && version !== '8') {
    return {
      status: 426,
      message: 'Unsupported WebSocket version',
      headers: { 'Sec-WebSocket-Version': '13' },
    }
  }
  return undefined
}

/** Writes a complete HTTP response on the raw socket, then destroys it. */
export function writeRejection(socket: Duplex, rejection: Rejection): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const { status, message, headers = {} } = rejection
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(message)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ]
  socket.once('finish', () => socket.destroy())
  socket.end(`${head.join('\r\n')}\r\n\r\n${message}`)
}

/** Destroys the socket it is called on; one function for every socket, so it holds no request. */
function destroyOnError(this: Duplex): void {
  this.destroy()
}

/** Until ws takes the socket over, a reset must not become an uncaught 'error'. Idempotent. */
export function guardSocket(socket: Duplex): void {
  socket.removeListener('error', destroyOnError)
  socket.on('error', destroyOnError)
}

/** ws has its own error listener on the socket from the upgrade on. */
export function unguardSocket(socket: Duplex): void {
  socket.removeListener('error', destroyOnError)
}
