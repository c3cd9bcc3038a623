/**
 * The adapter boundary: what the server asks of membership and delivery, and
 * what an adapter may ask of the server. Adapters see connection ids and
 * encoded payloads, never connection objects or sockets.
 */
import type { Payload } from '../fanout/index.js'
import type { ServerHealth, WebSocketStats } from '../server/index.js'
import type { DurableStore, KeptRoom, QueueLimits } from './store.js'

/**
 * Who a broadcast reaches, in a form that can travel between nodes: the
 * members of `rooms`, the connections of `users` and the connections `ids`
 * (a union, each connection once) or, with none of them, every connection;
 * minus `except` (connection ids, or rooms whose members are skipped).
 * `volatile` messages skip connections that still have unsent data.
 */
export interface WireTarget {
  readonly rooms?: readonly string[] | undefined
  readonly users?: readonly string[] | undefined
  readonly ids?: readonly string[] | undefined
  readonly except?: readonly string[] | undefined
  readonly volatile?: boolean | undefined
}

/** One connection as cluster-wide queries describe it. */
export interface ConnectionInfo {
  id: string
  nodeId: string
  userId: string | undefined
  metadata: Record<string, unknown>
  rooms: string[]
}

/** One node as `wss.fetchNodes()` describes it: its counters and its health, read on that node. */
export interface NodeStatus {
  nodeId: string
  stats: WebSocketStats
  health: ServerHealth
}

/** What a cluster-wide request asks every node; answered from each node's local state. */
export type ClusterQuery =
  | { kind: 'count' }
  | { kind: 'rooms' }
  | { kind: 'fetch'; target: WireTarget }
  | { kind: 'join'; target: WireTarget; rooms: string[] }
  | { kind: 'leave'; target: WireTarget; rooms: string[] }
  | { kind: 'disconnect'; target: WireTarget; code: number; reason: string }
  | { kind: 'revoke'; userId: string | undefined; jti: string | undefined; until: number }
  | { kind: 'stats' }

/** What each query kind answers, per node. */
export interface ClusterAnswers {
  count: number
  rooms: string[]
  fetch: ConnectionInfo[]
  join: number
  leave: number
  disconnect: number
  /** Connections closed, and the latest expiry (ms; 0 when none) of the token id held there. */
  revoke: [closed: number, expiry: number]
  stats: NodeStatus
}

/** A node that failed to answer: it timed out, left, or sent an error. */
export interface NodeError {
  nodeId: string
  error: string
}

/** Every answer that arrived in time, and an error for each node that did not answer. */
export interface ClusterResult<T> {
  /** Answers by node id, this node included. */
  answers: Map<string, T>
  errors: NodeError[]
  /** `true` when at least one live node did not answer. */
  partial: boolean
}

/** A user present in a room, cluster-wide. */
export interface PresenceEntry {
  userId: string
  /** Connection count per node. */
  nodes: Record<string, number>
}

/** A user came online in a room (first connection anywhere) or went fully offline there. */
export interface PresenceEvent {
  type: 'join' | 'leave'
  room: string
  userId: string
}

export interface AdapterHealth {
  status: 'ok' | 'degraded'
  /** Why it is degraded. */
  reason?: string
  /** Live nodes known, this one included. */
  nodes: number
  /** Publishes that failed since the start. */
  publishFailures: number
  /** Publishes handed to the bus since the start. */
  publishes: number
  /** Publishes sent and not yet answered by the bus now. */
  publishesPending: number
  /**
   * Cross-node parts of broadcasts dropped since the start because
   * `maxPendingPublishes` were already outstanding (local delivery went on).
   */
  publishesDropped: number
  /** Round trip of the bus's last liveness probe in ms; `undefined` without a bus. */
  latency?: number
}

/** What the server gives its adapter: local delivery and local facts, by connection id. */
export interface AdapterHost {
  readonly nodeId: string
  /**
   * Writes `payload` to each listed local connection that `skip` does not
   * reject; unknown ids are skipped. @returns how many got it.
   */
  deliver(
    ids: Iterable<string>,
    payload: Payload,
    volatile: boolean,
    skip: ((id: string) => boolean) | undefined,
  ): number
  /** Every local connection id. */
  connectionIds(): Iterable<string>
  /** Whether `id` is a local connection. */
  hasConnection(id: string): boolean
  describe(id: string): ConnectionInfo | undefined
  /** Joins or leaves through the connection, so limits and events apply. */
  join(id: string, room: string): void
  leave(id: string, room: string): void
  disconnect(id: string, code: number, reason: string): void
  /**
   * Closes the user's connections and those holding token id `jti` (4003),
   * and refuses `jti` until `until` (ms since the epoch). @returns how many
   * closed, and the latest expiry (ms; 0 when none) of `jti` among them.
   */
  revoke(userId: string | undefined, jti: string | undefined, until: number): [number, number]
  /** This node's counters and health, for a `stats` query. */
  status(): NodeStatus
  /** A custom cross-node message arrived (`wss.publish`). */
  message(channel: string, message: unknown): void
  presence(event: PresenceEvent): void
  /** The adapter failed (Redis down…); never thrown. */
  error(error: Error): void
  /**
   * The history rooms among a broadcast's rooms, with their limits; absent
   * when the server keeps no history, so a broadcast pays nothing for it.
   */
  readonly keptRooms: ((rooms: readonly string[]) => KeptRoom[] | undefined) | undefined
  /** Limits of the offline queue; absent when the server queues nothing. */
  readonly offlineQueue: QueueLimits | undefined
}

/**
 * Membership and delivery, for one node or a cluster. The memory adapter is
 * the reference; cluster adapters keep the same local index and add a bus.
 */
export interface Adapter {
  /** Called once by the server before any other method. */
  init(host: AdapterHost): Promise<void> | void
  addConnection(id: string, userId: string | undefined): void
  /** Forgets the connection: its rooms, its user. */
  removeConnection(id: string, userId: string | undefined): void
  /** @returns `false` when already a member. */
  join(id: string, room: string): boolean
  leave(id: string, room: string): void
  /** Whether local connection `id` is in `room`. */
  isIn(id: string, room: string): boolean
  /** How many rooms local connection `id` is in. */
  roomCountOf(id: string): number
  roomsOf(id: string): ReadonlySet<string> | undefined
  membersOf(room: string): ReadonlySet<string> | undefined
  userConnections(userId: string): ReadonlySet<string> | undefined
  /** Rooms with local members. */
  localRooms(): string[]
  readonly localRoomCount: number
  /**
   * Delivers to the local connections `target` selects (those `accept` takes)
   * and, for a cluster, publishes to the other nodes that have any.
   * `accept` runs where connections live, so it never travels: a broadcast with
   * one reaches this node only. @returns local connections reached.
   */
  broadcast(target: WireTarget, payload: Payload, accept?: (id: string) => boolean): number
  /** Asks every live node; the result is partial, never all-or-nothing. */
  request<K extends ClusterQuery['kind']>(
    query: Extract<ClusterQuery, { kind: K }>,
    /** Overrides the adapter's own default (ms). */
    timeout?: number,
  ): Promise<ClusterResult<ClusterAnswers[K]>>
  /** A custom message to every node, this one included. */
  publish(channel: string, message: unknown): Promise<void>
  presence(room: string): Promise<PresenceEntry[]>
  health(): AdapterHealth
  /**
   * Room history, sessions and offline queues; `undefined` when this adapter
   * cannot keep them (a cluster bus without storage).
   */
  readonly store: DurableStore | undefined
  /** Resolves once messages from other nodes reach what this node holds now (subscriptions in place). */
  settled(): Promise<void>
  close(): Promise<void>
}
