/** What a connection keeps of its upgrade request: a snapshot, so the live request can be collected. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

/**
 * `conn.request`: the upgrade request's method, URL, version, headers and
 * socket. The live `IncomingMessage` (its stream state and raw headers, about
 * 1.5 KB) goes to middleware and the route handler as their `request`
 * argument and is collected after them; `headers` and `socket` are the
 * request's own objects, kept at no extra cost. The connection makes the
 * snapshot when it is first read.
 */
export interface UpgradeRequest {
  readonly method: string
  /** The request target as sent: path and query string. */
  readonly url: string
  readonly httpVersion: string
  readonly headers: IncomingHttpHeaders
  readonly socket: Socket
}

/** Headers whose values most connections share (one browser, one host): kept once, not per connection. */
const SHARED_HEADERS = [
  'host',
  'connection',
  'upgrade',
  'origin',
  'user-agent',
  'accept-encoding',
  'accept-language',
  'cache-control',
  'pragma',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
] as const
const MAX_SHARED_VALUES = 1024
const MAX_SHARED_LENGTH = 512
const sharedValues = new Map<string, string>()

/** The one copy of `value` (bounded: past the cap, values are kept as they come). */
function shared(value: string): string {
  const known = sharedValues.get(value)
  if (known !== undefined) return known
  if (sharedValues.size < MAX_SHARED_VALUES && value.length <= MAX_SHARED_LENGTH) {
    sharedValues.set(value, value)
  }
  return value
}

/** Shares the values of common headers with other connections; the headers object is kept as it is. */
export function shareHeaderValues(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  for (const name of SHARED_HEADERS) {
    const value = headers[name]
    if (typeof value === 'string') headers[name] = shared(value)
  }
  return headers
}

/** Whether a request's method and version are the ones every WebSocket upgrade has (RFC 6455 §4.1). */
export function isPlainUpgrade(request: IncomingMessage): boolean {
  return request.method === 'GET' && request.httpVersion === '1.1'
}

/** The snapshot of a plain upgrade (GET, HTTP/1.1), or of `request` as it came. */
export function upgradeRequest(
  url: string,
  headers: IncomingHttpHeaders,
  socket: Socket,
  request?: IncomingMessage,
): UpgradeRequest {
  return {
    method: request?.method ?? 'GET',
    url,
    httpVersion: request?.httpVersion ?? '1.1',
    headers,
    socket,
  }
}
