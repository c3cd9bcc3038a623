/**
 * What a mutating admin request must show so another site cannot make a
 * signed-in browser send it: a custom header and a JSON body (neither of
 * which a form or a simple cross-origin request can carry without a CORS
 * preflight, which this handler never grants), and an Origin, when present,
 * of this host or an allowed one.
 */
import type { IncomingMessage } from 'node:http'

/** The header every POST to the admin API carries; its value is not checked. */
export const ADMIN_REQUEST_HEADER = 'X-Roomcast-Admin'

export interface Refusal {
  status: number
  error: string
}

/** @returns why the request is refused, or `undefined` when it may go on. */
export function refuseCrossSite(
  request: IncomingMessage,
  allowedOrigins: ReadonlySet<string>,
): Refusal | undefined {
  if (request.headers[ADMIN_REQUEST_HEADER.toLowerCase()] === undefined) {
    return { status: 403, error: `missing ${ADMIN_REQUEST_HEADER} header` }
  }
  const origin = request.headers.origin
  if (origin !== undefined && !sameSite(origin, request.headers.host, allowedOrigins)) {
    return { status: 403, error: 'cross-origin request refused' }
  }
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase()
  if (type !== 'application/json') {
    return { status: 415, error: 'the body must be application/json' }
  }
  return undefined
}

/**
 * Same host and port as the request (the scheme is left out: a proxy that
 * ends TLS forwards plain HTTP with the browser's `https://` origin).
 */
function sameSite(origin: string, host: string | undefined, allowed: ReadonlySet<string>): boolean {
  const normalized = origin.toLowerCase()
  if (allowed.has(normalized)) return true
  if (host === undefined) return false
  try {
    return new URL(normalized).host === host.toLowerCase()
  } catch {
    // `null` (sandboxed frames, file: pages) and other non-URLs.
    return false
  }
}
