/** The handshake URL: the application's URL and query, plus the protocol's parameters. */

/** What an attempt adds to the URL. */
export interface HandshakeParams {
  /** The session to resume, from the last `session` frame. */
  readonly session?: string | undefined
  /** `{ room: [offset, epoch] }`, sent with `session`. */
  readonly positions?: Record<string, [number, string]> | undefined
  /** `[name, value]` from the token provider. */
  readonly token?: readonly [string, string] | undefined
}

/**
 * Parses the server URL once; a relative one is resolved against the page's
 * location, as a browser's WebSocket would.
 * @throws {TypeError} when it is not a URL.
 */
export function serverUrl(url: string | URL): URL {
  const base = (globalThis as { location?: { href?: string } }).location?.href
  try {
    return new URL(url, base)
  } catch {
    throw new TypeError(`createClient: "${String(url)}" is not a valid URL`)
  }
}

/** `base` with `roomcast=1` and, when given, the session, positions and token set in its query. */
export function handshakeUrl(base: URL, params: HandshakeParams): string {
  const url = new URL(base)
  const query = url.searchParams
  query.set('roomcast', '1')
  if (params.session !== undefined) {
    query.set('roomcast_session', params.session)
    query.set('roomcast_positions', JSON.stringify(params.positions ?? {}))
  }
  if (params.token !== undefined) query.set(params.token[0], params.token[1])
  return url.href
}
