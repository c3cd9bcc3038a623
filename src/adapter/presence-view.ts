/**
 * The cluster-wide presence view: room → user → node → connection count,
 * built from every node's changes and snapshots. It reports a user's join
 * only when their first node appears and a leave only when their last goes.
 */
import type { PresenceEntry, PresenceEvent } from './types.js'

export type PresenceRecord = [room: string, userId: string, count: number]

export class PresenceView {
  readonly #rooms = new Map<string, Map<string, Map<string, number>>>()

  /** Sets one node's count (0 removes it). @returns the cluster-wide change, if any. */
  set(room: string, userId: string, nodeId: string, count: number): PresenceEvent | undefined {
    let users = this.#rooms.get(room)
    const nodes = users?.get(userId)
    if (count > 0) {
      if (nodes !== undefined) {
        nodes.set(nodeId, count)
        return undefined
      }
      if (users === undefined) {
        users = new Map()
        this.#rooms.set(room, users)
      }
      users.set(userId, new Map([[nodeId, count]]))
      return { type: 'join', room, userId }
    }
    if (nodes === undefined || !nodes.delete(nodeId) || nodes.size > 0) return undefined
    users?.delete(userId)
    if (users?.size === 0) this.#rooms.delete(room)
    return { type: 'leave', room, userId }
  }

  /** Replaces everything held for `nodeId` with `records`. @returns the cluster-wide changes. */
  replace(nodeId: string, records: Iterable<PresenceRecord>): PresenceEvent[] {
    const next = new Map<string, number>()
    for (const [room, userId, count] of records) next.set(key(room, userId), count)
    const events: PresenceEvent[] = []
    for (const [room, userId] of this.of(nodeId)) {
      if (!next.has(key(room, userId))) push(events, this.set(room, userId, nodeId, 0))
    }
    for (const [pair, count] of next) {
      const [room, userId] = JSON.parse(pair) as [string, string]
      push(events, this.set(room, userId, nodeId, count))
    }
    return events
  }

  /** Everything held for `nodeId`: its snapshot. */
  of(nodeId: string): PresenceRecord[] {
    const records: PresenceRecord[] = []
    for (const [room, users] of this.#rooms) {
      for (const [userId, nodes] of users) {
        const count = nodes.get(nodeId)
        if (count !== undefined) records.push([room, userId, count])
      }
    }
    return records
  }

  entries(room: string): PresenceEntry[] {
    const users = this.#rooms.get(room)
    if (users === undefined) return []
    return [...users].map(([userId, nodes]) => ({ userId, nodes: Object.fromEntries(nodes) }))
  }
}

// JSON keeps any room or user name unambiguous as one map key.
function key(room: string, userId: string): string {
  return JSON.stringify([room, userId])
}

function push(events: PresenceEvent[], event: PresenceEvent | undefined): void {
  if (event !== undefined) events.push(event)
}
