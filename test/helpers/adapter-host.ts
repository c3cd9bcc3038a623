/** A fake AdapterHost: connections are just ids, deliveries and events are recorded for asserts. */
import type {
  Adapter,
  AdapterHost,
  ConnectionInfo,
  NodeStatus,
  PresenceEvent,
} from '../../src/adapter/types.ts'
import type { Payload } from '../../src/fanout/payload.ts'
import { StatsCounter } from '../../src/server/stats.ts'

export interface Delivery {
  text: string
  bytes: Buffer
  binary: boolean
  volatile: boolean
}

interface FakeConnection {
  userId: string | undefined
  metadata: Record<string, unknown>
}

export class FakeHost implements AdapterHost {
  readonly nodeId: string
  readonly adapter: Adapter
  readonly connections = new Map<string, FakeConnection>()
  readonly deliveries = new Map<string, Delivery[]>()
  readonly presenceEvents: PresenceEvent[] = []
  readonly messages: Array<[channel: string, message: unknown]> = []
  readonly errors: Error[] = []
  readonly disconnected: Array<{ id: string; code: number; reason: string }> = []
  /** Connections with unsent data: volatile messages skip them. */
  readonly busy = new Set<string>()
  /** Set by a test to keep history or queue for offline users. */
  keptRooms: AdapterHost['keptRooms'] = undefined
  offlineQueue: AdapterHost['offlineQueue'] = undefined

  constructor(nodeId: string, adapter: Adapter) {
    this.nodeId = nodeId
    this.adapter = adapter
  }

  /** Opens a connection on this node (what the server does on upgrade). */
  connect(id: string, userId?: string, metadata: Record<string, unknown> = {}): void {
    this.connections.set(id, { userId, metadata })
    this.adapter.addConnection(id, userId)
  }

  /** Closes a connection on this node. */
  close(id: string): void {
    const conn = this.connections.get(id)
    if (conn === undefined) return
    this.adapter.removeConnection(id, conn.userId)
    this.connections.delete(id)
  }

  /** What `id` received, as text. */
  inbox(id: string): string[] {
    return (this.deliveries.get(id) ?? []).map((delivery) => delivery.text)
  }

  deliver(
    ids: Iterable<string>,
    payload: Payload,
    volatile: boolean,
    skip: ((id: string) => boolean) | undefined,
  ): number {
    let count = 0
    for (const id of ids) {
      if (!this.connections.has(id) || skip?.(id) || (volatile && this.busy.has(id))) continue
      let inbox = this.deliveries.get(id)
      if (inbox === undefined) {
        inbox = []
        this.deliveries.set(id, inbox)
      }
      inbox.push({
        text: payload.data.toString(),
        bytes: payload.data,
        binary: payload.binary,
        volatile,
      })
      count++
    }
    return count
  }

  connectionIds(): Iterable<string> {
    return this.connections.keys()
  }

  hasConnection(id: string): boolean {
    return this.connections.has(id)
  }

  describe(id: string): ConnectionInfo | undefined {
    const conn = this.connections.get(id)
    if (conn === undefined) return undefined
    const rooms = [...(this.adapter.roomsOf(id) ?? [])]
    return { id, nodeId: this.nodeId, userId: conn.userId, metadata: conn.metadata, rooms }
  }

  join(id: string, room: string): void {
    this.adapter.join(id, room)
  }

  leave(id: string, room: string): void {
    this.adapter.leave(id, room)
  }

  disconnect(id: string, code: number, reason: string): void {
    this.disconnected.push({ id, code, reason })
    this.close(id)
  }

  /** Revocations asked of this node, in order; closes nothing (no tokens here). */
  readonly revoked: Array<{ userId: string | undefined; jti: string | undefined; until: number }> =
    []

  revoke(userId: string | undefined, jti: string | undefined, until: number): [number, number] {
    this.revoked.push({ userId, jti, until })
    return [0, 0]
  }

  /** What a `stats` query reads here: this node's connection count, every counter zero. */
  status(): NodeStatus {
    const connections = this.connections.size
    const stats = new StatsCounter().snapshot(connections, 0)
    const health = { ...this.adapter.health(), connections, closing: false }
    return { nodeId: this.nodeId, stats, health }
  }

  message(channel: string, message: unknown): void {
    this.messages.push([channel, message])
  }

  presence(event: PresenceEvent): void {
    this.presenceEvents.push(event)
  }

  error(error: Error): void {
    this.errors.push(error)
  }
}
