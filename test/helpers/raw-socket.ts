/** Hand-made HTTP upgrades on raw TCP sockets, and RFC 6455 frames written and parsed by hand. */
import assert from 'node:assert/strict'
import { connect as netConnect, type Socket } from 'node:net'
import { within } from './timeout.ts'

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

/**
 * Sends `request` on a raw socket and resolves once the response head is read, with the head
 * (without the blank line) and the socket left open and paused, any bytes after the head
 * unshifted back into it. The socket goes onto `sockets` at once, so teardown reaches it even
 * if the handshake fails.
 */
export function rawUpgrade(
  port: number,
  request: string,
  sockets?: Socket[],
): Promise<{ socket: Socket; head: string }> {
  return within(
    new Promise((resolve, reject) => {
      const socket = netConnect(port, '127.0.0.1')
      sockets?.push(socket)
      let buffered = Buffer.alloc(0)
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk])
        const end = buffered.indexOf('\r\n\r\n')
        if (end === -1) return
        socket.off('data', onData)
        socket.pause()
        const rest = buffered.subarray(end + 4)
        if (rest.length > 0) socket.unshift(rest)
        resolve({ socket, head: buffered.subarray(0, end).toString('latin1') })
      }
      socket.on('data', onData)
      socket.on('error', reject)
      socket.write(request)
    }),
    3000,
    'raw upgrade',
  )
}

/** A client frame (RFC 6455 §5.2); masked unless `mask` is false. Payloads under 126 bytes only. */
export function frame(opcode: number, payload: Buffer, { fin = true, mask = true } = {}): Buffer {
  assert.ok(payload.length < 126)
  const head = Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | payload.length])
  if (!mask) return Buffer.concat([head, payload])
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78])
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (key[i % 4] as number)))
  return Buffer.concat([head, key, masked])
}

/** Reads server frames until a close frame arrives; resolves with its code and reason. */
export function closeFrameFrom(socket: Socket): Promise<{ code: number; reason: string }> {
  return within(
    new Promise((resolve, reject) => {
      let buffered = Buffer.alloc(0)
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk])
        while (buffered.length >= 2) {
          const opcode = (buffered[0] as number) & 0x0f
          const length = (buffered[1] as number) & 0x7f
          assert.ok(length < 126, 'test parser handles short frames only')
          if (buffered.length < 2 + length) return
          const payload = buffered.subarray(2, 2 + length)
          buffered = buffered.subarray(2 + length)
          if (opcode === 0x8) {
            resolve({
              code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
              reason: payload.subarray(2).toString(),
            })
            return
          }
        }
      })
      socket.on('close', () => reject(new Error('socket closed without a close frame')))
      socket.resume()
    }),
    3000,
    'close frame',
  )
}
