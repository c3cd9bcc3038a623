/** Fan-out: one encoded payload, written to every connection a target selects. */
import type { Payload } from './payload.js'
import type { RoomIndex } from './rooms.js'

/**
 * Which connections a broadcast reaches: the members of `rooms` (a union,
 * each connection once) or, without `rooms`, every connection; minus the
 * connection ids in `except`. Every public broadcast maps onto this shape.
 */
export interface BroadcastTarget {
  readonly rooms?: readonly string[] | undefined
  readonly except?: ReadonlySet<string> | undefined
}

/** What fan-out needs of a connection. */
export interface Recipient {
  readonly id: string
  sendPayload(payload: Payload): boolean
}

/** Writes `payload` to every connection `target` selects. @returns how many were written to. */
export function fanOut(
  target: BroadcastTarget,
  payload: Payload,
  connections: ReadonlyMap<string, Recipient>,
  rooms: RoomIndex,
): number {
  const except = target.except
  let reached = 0
  const deliver = (conn: Recipient | undefined): void => {
    if (conn === undefined || except?.has(conn.id)) return
    if (conn.sendPayload(payload)) reached++
  }
  if (target.rooms === undefined) {
    for (const conn of connections.values()) deliver(conn)
    return reached
  }
  if (target.rooms.length === 1) {
    const members = rooms.membersOf(target.rooms[0] as string)
    if (members) for (const id of members) deliver(connections.get(id))
    return reached
  }
  const seen = new Set<string>()
  for (const room of target.rooms) {
    const members = rooms.membersOf(room)
    if (members === undefined) continue
    for (const id of members) {
      if (seen.has(id)) continue
      seen.add(id)
      deliver(connections.get(id))
    }
  }
  return reached
}
