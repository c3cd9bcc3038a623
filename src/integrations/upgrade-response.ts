/**
 * A response for an upgrade request that an HTTP framework routes: when its
 * middleware answers (a 401 from an auth check, a redirect), the answer goes
 * to the socket as a complete HTTP response, and the upgrade never happens.
 */
import { type IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { writeRejection } from '../server/handshake.js'

/** Headers the refusal writes itself. */
const OWN_HEADERS = new Set(['connection', 'content-length', 'content-type', 'transfer-encoding'])

function bodyOf(chunk: unknown): string {
  if (typeof chunk === 'string') return chunk
  if (chunk instanceof Uint8Array) return Buffer.from(chunk).toString()
  return ''
}

/** A `ServerResponse` whose `end()` refuses the handshake with the status and headers set on it. */
export function refusalResponse(request: IncomingMessage, socket: Duplex): ServerResponse {
  const response = new ServerResponse(request)
  response.end = ((chunk?: unknown) => {
    if (!socket.destroyed) {
      const headers: Record<string, string> = {}
      for (const [name, value] of Object.entries(response.getHeaders())) {
        if (value !== undefined && !OWN_HEADERS.has(name)) headers[name] = String(value)
      }
      writeRejection(socket, { status: response.statusCode, message: bodyOf(chunk), headers })
    }
    return response
  }) as ServerResponse['end']
  return response
}
