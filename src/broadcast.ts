/** Fan-out: one encoded payload, written to every connection a target selects. */
import type { Payload } from './payload.js'
import type { RoomIndex } from './rooms.js'

/**
 * Which connections a broadcast reaches — the vocabulary every public
 * broadcast maps onto, and what a cluster adapter will carry between nodes:
 * the members of `rooms` and the connections of `users` (a union, each
 * connection once) or, without either, every connection; minus each `except` entry, which is a connection id or a
 * room whose members are skipped; minus those `filter` rejects. `volatile`
 * messages skip connections that still have unsent data.
 */
export interface BroadcastTarget<C = Recipient> {
  readonly rooms?: readonly string[] | undefined
  readonly users?: readonly string[] | undefined
  readonly except?: readonly string[] | undefined
  readonly filter?: ((conn: C) => boolean) | undefined
  readonly volatile?: boolean | undefined
}

/** What fan-out needs of a connection. */
export interface Recipient {
  readonly id: string
  sendPayload(payload: Payload, volatile?: boolean): boolean
}

function excludedIds(
  except: readonly string[] | undefined,
  rooms: RoomIndex,
): Set<string> | undefined {
  if (except === undefined || except.length === 0) return undefined
  const ids = new Set(except)
  for (const name of except) {
    const members = rooms.membersOf(name)
    if (members) for (const id of members) ids.add(id)
  }
  return ids
}

/** Writes `payload` to every connection `target` selects. @returns how many were written to. */
export function fanOut<C extends Recipient>(
  target: BroadcastTarget<C>,
  payload: Payload,
  connections: ReadonlyMap<string, C>,
  rooms: RoomIndex,
  users?: ReadonlyMap<string, ReadonlySet<string>>,
): number {
  const except = excludedIds(target.except, rooms)
  const { filter, volatile = false } = target
  let reached = 0
  const deliver = (conn: C | undefined): void => {
    if (conn === undefined || except?.has(conn.id)) return
    if (filter !== undefined && !filter(conn)) return
    if (conn.sendPayload(payload, volatile)) reached++
  }
  if (target.rooms === undefined && target.users === undefined) {
    for (const conn of connections.values()) deliver(conn)
    return reached
  }
  const groups: Array<ReadonlySet<string> | undefined> = []
  for (const room of target.rooms ?? []) groups.push(rooms.membersOf(room))
  for (const user of target.users ?? []) groups.push(users?.get(user))
  if (groups.length === 1) {
    const members = groups[0]
    if (members) for (const id of members) deliver(connections.get(id))
    return reached
  }
  const seen = new Set<string>()
  for (const members of groups) {
    if (members === undefined) continue
    for (const id of members) {
      if (seen.has(id)) continue
      seen.add(id)
      deliver(connections.get(id))
    }
  }
  return reached
}
