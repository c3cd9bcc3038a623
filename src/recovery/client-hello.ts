/** What a roomcast client says in its handshake's query (docs/protocol.md), taken out of the query the app sees. */

/** A client position per room: offset and epoch. */
export type ClientPositions = Map<string, readonly [offset: number, epoch: string]>

export interface ClientHello {
  /** The session to resume, if it has one. */
  sessionId: string | undefined
  positions: ClientPositions
}

const VERSION = 'roomcast'
const SESSION = 'roomcast_session'
const POSITIONS = 'roomcast_positions'

/**
 * Splits a query string into the roomcast client's hello (when it is one) and
 * the query the application sees.
 */
export function readHello(search: string): { hello: ClientHello | undefined; search: string } {
  if (!search.includes(VERSION)) return { hello: undefined, search }
  const params = new URLSearchParams(search)
  if (params.get(VERSION) !== '1') return { hello: undefined, search }
  const sessionId = params.get(SESSION) ?? undefined
  const positions = parsePositions(params.get(POSITIONS))
  for (const name of [VERSION, SESSION, POSITIONS]) params.delete(name)
  return { hello: { sessionId, positions }, search: params.toString() }
}

/** Anything malformed counts as no positions: the session then cannot resume. */
function parsePositions(value: string | null): ClientPositions {
  const positions: ClientPositions = new Map()
  if (value === null) return positions
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return positions
  }
  if (typeof parsed !== 'object' || parsed === null) return positions
  for (const [room, position] of Object.entries(parsed)) {
    if (!Array.isArray(position) || position.length !== 2) continue
    const [offset, epoch] = position as unknown[]
    if (Number.isSafeInteger(offset) && (offset as number) >= 0 && typeof epoch === 'string') {
      positions.set(room, [offset as number, epoch])
    }
  }
  return positions
}
