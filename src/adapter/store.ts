/**
 * What outlives a connection, behind the adapter boundary: room streams
 * (history), sessions awaiting recovery, and queues for offline users. The
 * memory adapter keeps them in process; the Redis adapter in Redis, so any
 * node can read what another wrote.
 */
import type { RoomPosition } from '../fanout/index.js'
import type { SessionSnapshot } from '../options/index.js'

/** A history room of one broadcast, with its rule's limits. */
export interface KeptRoom {
  readonly room: string
  /** Messages kept. */
  readonly size: number
  /** How long each is kept (ms). */
  readonly ttl: number
}

/** One broadcast as a stream keeps it. */
export interface KeptMessage {
  /** Its position in every history room it went to, this one among them. */
  positions: readonly RoomPosition[]
  /** When it was kept (ms since the epoch). */
  time: number
  data: Buffer
  binary: boolean
  /** Connection ids and rooms the broadcast skipped: a replay skips them too. */
  except: readonly string[] | undefined
}

/** A read of one room's stream. */
export interface HistoryPage {
  room: string
  /** The stream's life: a changed epoch means what came before is gone. */
  epoch: string
  /** Offset of the newest message ever kept in this epoch; 0 when none. */
  head: number
  /** Offset of the oldest message still kept; `head + 1` when none is. */
  first: number
  /** Oldest first. */
  messages: KeptMessage[]
}

/** Which part of a stream to read: after an offset, or the newest messages. */
export interface HistoryQuery {
  /** Messages with a greater offset; without it, the newest ones. */
  after?: number
  /** At most this many. @default all kept */
  limit?: number
}

/** A message queued for an offline user. */
export interface QueuedMessage {
  time: number
  data: Buffer
  binary: boolean
}

/**
 * The durable side of an adapter. Reads are asynchronous everywhere; an
 * append is synchronous in process, and asynchronous where it is atomic with
 * the cross-node publish.
 */
export interface DurableStore {
  /**
   * Whether other nodes read it (Redis): then kept broadcasts reach local
   * members through the bus, and live sessions are written while open.
   */
  readonly shared: boolean
  /** Reads a room's stream, dropping messages older than `ttl` ms. */
  read(room: string, query: HistoryQuery, ttl: number): Promise<HistoryPage>
  /** Keeps a session for `ttl` ms, replacing any under the same id. */
  saveSession(sessionId: string, session: SessionSnapshot, ttl: number): Promise<void>
  /** Removes and returns a session: a session id is good for one recovery. */
  takeSession(sessionId: string): Promise<SessionSnapshot | undefined>
  deleteSession(sessionId: string): Promise<void>
  /** Removes and returns a user's queued messages, oldest first, none older than `ttl` ms. */
  takeQueued(userId: string, ttl: number): Promise<QueuedMessage[]>
  /**
   * Shared stores only: remembers a revoked token id for `ttl` ms, so nodes
   * that start later refuse it too (every live node also keeps it in process).
   */
  revoke?(jti: string, ttl: number): Promise<void>
  isRevoked?(jti: string): Promise<boolean>
}

/** Limits of the offline queue. */
export interface QueueLimits {
  readonly size: number
  readonly ttl: number
}

/**
 * One broadcast as a cluster store runs it, in one atomic step: kept in the
 * streams of `kept`, published on `channels`, and published on each offline
 * channel, then queued for that user when no node received it.
 */
export interface StoredBroadcast {
  kept: readonly KeptRoom[]
  data: Buffer
  binary: boolean
  except: readonly string[] | undefined
  /** The bus message; receivers find the positions in front of it. */
  message: Buffer
  channels: readonly string[]
  offline: ReadonlyArray<{ userId: string; channel: string }>
  queue: QueueLimits | undefined
}

/** A durable store shared by every node, which publishes as it stores. */
export interface ClusterStore extends DurableStore {
  /** @returns the positions given in `kept` (none when it is empty). */
  broadcast(broadcast: StoredBroadcast): Promise<RoomPosition[]>
}
