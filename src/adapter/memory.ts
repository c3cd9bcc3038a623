/**
 * The in-memory adapter: one process, nothing to configure. It is the
 * reference every adapter is tested against, and the local index cluster
 * adapters build on (through the protected hooks below).
 */

import type { Payload } from '../fanout/index.js'
import { RoomIndex } from '../rooms.js'
import { MemoryStore } from './memory-store.js'
import type { DurableStore, KeptRoom } from './store.js'
import type {
  Adapter,
  AdapterHealth,
  AdapterHost,
  ClusterAnswers,
  ClusterQuery,
  ClusterResult,
  PresenceEntry,
  WireTarget,
} from './types.js'

export class MemoryAdapter implements Adapter {
  #host: AdapterHost | undefined
  protected readonly rooms = new RoomIndex()
  /** userId → ids of that user's local connections. */
  protected readonly users = new Map<string, Set<string>>()
  /** Connection id → userId, for connections that have one. */
  readonly #userOfConnection = new Map<string, string>()
  #store: MemoryStore | undefined

  protected get host(): AdapterHost {
    if (this.#host === undefined) throw new Error('Adapter used before init()')
    return this.#host
  }

  init(host: AdapterHost): Promise<void> | void {
    this.#host = host
  }

  addConnection(id: string, userId: string | undefined): void {
    if (userId === undefined) return
    this.#userOfConnection.set(id, userId)
    const ids = this.users.get(userId)
    if (ids === undefined) {
      this.users.set(userId, new Set([id]))
      this.userAdded(userId)
    } else ids.add(id)
  }

  removeConnection(id: string, userId: string | undefined): void {
    for (const room of [...(this.rooms.roomsOf(id) ?? [])]) this.leave(id, room)
    if (userId === undefined) return
    this.#userOfConnection.delete(id)
    const ids = this.users.get(userId)
    ids?.delete(id)
    if (ids?.size !== 0) return
    this.users.delete(userId)
    this.userRemoved(userId)
  }

  join(id: string, room: string): boolean {
    if (!this.rooms.add(id, room)) return false
    if (this.rooms.membersOf(room)?.size === 1) this.roomCreated(room)
    const userId = this.userOf(id)
    if (userId !== undefined && this.userCountIn(room, userId) === 1) {
      this.userPresence(room, userId, true)
    }
    return true
  }

  leave(id: string, room: string): void {
    if (!this.rooms.remove(id, room)) return
    if (this.rooms.membersOf(room) === undefined) this.roomEmptied(room)
    const userId = this.userOf(id)
    if (userId !== undefined && this.userCountIn(room, userId) === 0) {
      this.userPresence(room, userId, false)
    }
  }

  isIn(id: string, room: string): boolean {
    return this.rooms.has(id, room)
  }

  roomCountOf(id: string): number {
    return this.rooms.roomCountOf(id)
  }

  roomsOf(id: string): ReadonlySet<string> | undefined {
    return this.rooms.roomsOf(id)
  }

  membersOf(room: string): ReadonlySet<string> | undefined {
    return this.rooms.membersOf(room)
  }

  userConnections(userId: string): ReadonlySet<string> | undefined {
    return this.users.get(userId)
  }

  localRooms(): string[] {
    return this.rooms.rooms()
  }

  get localRoomCount(): number {
    return this.rooms.size
  }

  broadcast(target: WireTarget, payload: Payload, accept?: (id: string) => boolean): number {
    if (accept === undefined) {
      const kept = this.keptRoomsOf(target)
      if (kept !== undefined) {
        const { data, binary } = payload
        payload.positions = this.#memoryStore.append(kept, { data, binary, except: target.except })
      }
      if (target.users !== undefined) this.#queueForOffline(target.users, payload)
    }
    return this.deliverLocal(target, payload, accept)
  }

  /** Made on first use: a server without history, recovery or queues never needs it. */
  get store(): DurableStore | undefined {
    return this.#memoryStore
  }

  async settled(): Promise<void> {}

  get #memoryStore(): MemoryStore {
    this.#store ??= new MemoryStore()
    return this.#store
  }

  /** The history rooms a broadcast goes to; volatile messages are never kept. */
  protected keptRoomsOf(target: WireTarget): KeptRoom[] | undefined {
    const keep = this.host.keptRooms
    if (keep === undefined || target.rooms === undefined || target.volatile === true)
      return undefined
    const kept = keep(target.rooms)
    return kept === undefined || kept.length === 0 ? undefined : kept
  }

  #queueForOffline(users: readonly string[], payload: Payload): void {
    const limits = this.host.offlineQueue
    if (limits === undefined) return
    const message = { time: Date.now(), data: payload.data, binary: payload.binary }
    for (const userId of users) {
      if (!this.users.has(userId))
        this.#memoryStore.enqueue(userId, message, limits.size, limits.ttl)
    }
  }

  /** Writes to the local connections `target` selects, each once. */
  protected deliverLocal(
    target: WireTarget,
    payload: Payload,
    accept?: (id: string) => boolean,
  ): number {
    const skip = this.#skipper(target.except, accept)
    const volatile = target.volatile === true
    // The common shapes (everyone, one room) go straight to delivery, allocating nothing.
    const { rooms, users, ids } = target
    if (users === undefined && ids === undefined && rooms?.length === 1) {
      const members = this.rooms.membersOf(rooms[0] as string)
      return members ? this.host.deliver(members, payload, volatile, skip) : 0
    }
    const groups = this.#groups(target)
    if (groups === undefined)
      return this.host.deliver(this.host.connectionIds(), payload, volatile, skip)
    if (groups.length === 1) {
      const members = groups[0]
      return members ? this.host.deliver(members, payload, volatile, skip) : 0
    }
    const union = new Set<string>()
    for (const members of groups) if (members) for (const id of members) union.add(id)
    return this.host.deliver(union, payload, volatile, skip)
  }

  /** The local connection ids a target selects (for queries and actions). */
  protected localIds(target: WireTarget): string[] {
    const skip = this.#skipper(target.except, undefined)
    const groups = this.#groups(target)
    const ids = new Set<string>()
    // Only ids held here: another node answers for its own, so none is counted twice.
    const add = (id: string) => {
      // A target's `ids` may name connections of other nodes.
      if (this.host.hasConnection(id) && (skip === undefined || !skip(id))) ids.add(id)
    }
    if (groups === undefined) for (const id of this.host.connectionIds()) add(id)
    else for (const members of groups) if (members) for (const id of members) add(id)
    return [...ids]
  }

  /** This node's answer to a cluster query. */
  protected answer(query: ClusterQuery): ClusterAnswers[ClusterQuery['kind']] {
    const host = this.host
    switch (query.kind) {
      case 'count':
        return [...host.connectionIds()].length
      case 'rooms':
        return this.localRooms()
      case 'fetch':
        return this.localIds(query.target).flatMap((id) => host.describe(id) ?? [])
      case 'join':
      case 'leave': {
        const ids = this.localIds(query.target)
        for (const id of ids) {
          for (const room of query.rooms) {
            if (query.kind === 'join') host.join(id, room)
            else host.leave(id, room)
          }
        }
        return ids.length
      }
      case 'disconnect': {
        const ids = this.localIds(query.target)
        for (const id of ids) host.disconnect(id, query.code, query.reason)
        return ids.length
      }
      case 'revoke':
        return host.revoke(query.userId, query.jti, query.until)
      case 'stats':
        return host.status()
    }
  }

  async request<K extends ClusterQuery['kind']>(
    query: Extract<ClusterQuery, { kind: K }>,
  ): Promise<ClusterResult<ClusterAnswers[K]>> {
    const answer = this.answer(query) as ClusterAnswers[K]
    return { answers: new Map([[this.host.nodeId, answer]]), errors: [], partial: false }
  }

  async publish(channel: string, message: unknown): Promise<void> {
    // Asynchronous like a cluster's, so code written against one works with the other.
    await Promise.resolve()
    this.host.message(channel, message)
  }

  async presence(room: string): Promise<PresenceEntry[]> {
    return this.localPresence(room)
  }

  /** Users with local connections in `room`, counted on this node. */
  protected localPresence(room: string): PresenceEntry[] {
    const counts = new Map<string, number>()
    for (const id of this.rooms.membersOf(room) ?? []) {
      const userId = this.userOf(id)
      if (userId !== undefined) counts.set(userId, (counts.get(userId) ?? 0) + 1)
    }
    const nodeId = this.host.nodeId
    return [...counts].map(([userId, count]) => ({ userId, nodes: { [nodeId]: count } }))
  }

  health(): AdapterHealth {
    return {
      status: 'ok',
      nodes: 1,
      publishFailures: 0,
      publishes: 0,
      publishesPending: 0,
      publishesDropped: 0,
    }
  }

  async close(): Promise<void> {}

  /** A room got its first local member. */
  protected roomCreated(_room: string): void {}
  /** A room lost its last local member. */
  protected roomEmptied(_room: string): void {}
  /** A user got their first local connection. */
  protected userAdded(_userId: string): void {}
  /** A user lost their last local connection. */
  protected userRemoved(_userId: string): void {}

  /** A user's local presence in a room began or ended; a cluster decides if it is cluster-wide. */
  protected userPresence(room: string, userId: string, present: boolean): void {
    this.host.presence({ type: present ? 'join' : 'leave', room, userId })
  }

  /** Whether this node holds the connection. */
  protected isLocal(id: string): boolean {
    return this.host.hasConnection(id)
  }

  protected userOf(id: string): string | undefined {
    return this.#userOfConnection.get(id)
  }

  /** How many of a user's local connections are in `room`. */
  protected userCountIn(room: string, userId: string): number {
    const members = this.rooms.membersOf(room)
    if (members === undefined) return 0
    let count = 0
    for (const id of this.users.get(userId) ?? []) if (members.has(id)) count++
    return count
  }

  #groups(target: WireTarget): Array<ReadonlySet<string> | undefined> | undefined {
    const { rooms, users, ids } = target
    if (rooms === undefined && users === undefined && ids === undefined) return undefined
    const groups: Array<ReadonlySet<string> | undefined> = []
    for (const room of rooms ?? []) groups.push(this.rooms.membersOf(room))
    for (const user of users ?? []) groups.push(this.users.get(user))
    if (ids !== undefined && ids.length > 0) groups.push(new Set(ids))
    return groups
  }

  #skipper(
    except: readonly string[] | undefined,
    accept: ((id: string) => boolean) | undefined,
  ): ((id: string) => boolean) | undefined {
    let excluded: Set<string> | undefined
    if (except !== undefined && except.length > 0) {
      excluded = new Set(except)
      for (const name of except) {
        for (const id of this.rooms.membersOf(name) ?? []) excluded.add(id)
      }
    }
    if (excluded === undefined) return accept && ((id) => !accept(id))
    const skipped = excluded
    if (accept === undefined) return (id) => skipped.has(id)
    return (id) => skipped.has(id) || !accept(id)
  }
}
