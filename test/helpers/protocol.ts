/** Reads the roomcast client protocol's control frames (docs/protocol.md) in tests. */

export interface Control {
  header: Record<string, unknown>
  body: string
}

/** The header and body of a control frame, or `undefined` for a plain message. */
export function control(message: string | Buffer): Control | undefined {
  const text = typeof message === 'string' ? message : message.toString()
  if (text.charCodeAt(0) !== 0x1e) return undefined
  const end = text.indexOf('\n')
  return {
    header: JSON.parse(text.slice(1, end)) as Record<string, unknown>,
    body: text.slice(end + 1),
  }
}

/** A query string value for `roomcast_positions`. */
export function positionsParam(positions: Record<string, [number, string]>): string {
  return encodeURIComponent(JSON.stringify(positions))
}
