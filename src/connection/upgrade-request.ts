/** What a connection keeps of its upgrade request: a snapshot, so the live request can be collected. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Socket } from 'node:net'

/**
 * `conn.request`: the upgrade request's method, URL, version, headers and
 * socket. The live `IncomingMessage` (its stream state and raw headers, about
 * 1.5 KB) goes to middleware and the route handler as their `request`
 * argument and is collected after them; `headers` and `socket` are the
 * request's own objects, kept at no extra cost.
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

export function snapshotRequest(request: IncomingMessage): UpgradeRequest {
  const headers = request.headers
  for (const name of SHARED_HEADERS) {
    const value = headers[name]
    if (typeof value === 'string') headers[name] = shared(value)
  }
  return {
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    httpVersion: request.httpVersion,
    headers,
    socket: request.socket,
  }
}
