/** Who is connected where: local reads, cluster-wide queries and actions, presence, custom messages. */
import type { Adapter, ConnectionInfo, NodeError, PresenceEntry } from '../adapter/index.js'
import type { NodeStatus } from '../adapter/types.js'
import { DEFAULT_REVOCATION_TTL } from '../auth/index.js'
import { ClusterQueries, type ClusterReply, type ClusterTarget } from '../cluster/index.js'
import { WebSocketRedisSubscriberEvent } from '../compat/index.js'
import { toError } from '../errors.js'
import { assertKnownKeys, keySet } from '../options/index.js'
import { assertRoomName } from '../rooms.js'
import type { WSConnection } from '../types.js'
import { BroadcastApi } from './broadcast-api.js'

/** What `wss.revoke()` ends: a user's connections, a token's, or both. */
export interface RevokeTarget {
  userId?: string
  /** A token id (`jti`): connections holding it close, and it is refused until it expires. */
  jti?: string
  /**
   * The token's `exp` (seconds), to refuse the id exactly that long. @default
   * the latest `exp` among the connections holding it anywhere, else 24 hours
   */
  exp?: number
}

const REVOKE_KEYS = keySet<RevokeTarget>({ userId: true, jti: true, exp: true })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isCount = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0
const STATUS_COUNTS = [
  'connections',
  'rooms',
  'messagesIn',
  'messagesOut',
  'messagesDropped',
  'closedForBackpressure',
]

/** The fields readers of `fetchNodes()` rely on; another node's answer is checked, not trusted. */
function isNodeStatus(answer: unknown): answer is NodeStatus {
  if (!isRecord(answer) || !isRecord(answer.stats) || !isRecord(answer.health)) return false
  const { stats, health } = answer
  return (
    typeof answer.nodeId === 'string' &&
    answer.nodeId !== '' &&
    STATUS_COUNTS.every((name) => isCount(stats[name])) &&
    (health.status === 'ok' || health.status === 'degraded')
  )
}

/**
 * Reads of this node's connections and rooms, and cluster-wide reads and
 * actions over the adapter (on a single node they answer for it alone).
 */
export abstract class ClusterApi extends BroadcastApi {
  readonly #adapter: Adapter
  readonly #connections: ReadonlyMap<string, WSConnection>
  readonly #cluster: ClusterQueries
  readonly #requestTimeout: number | undefined

  constructor(
    adapter: Adapter,
    connections: ReadonlyMap<string, WSConnection>,
    requestTimeout: number | undefined,
  ) {
    super()
    this.#adapter = adapter
    this.#connections = connections
    this.#cluster = new ClusterQueries(adapter, requestTimeout)
    this.#requestTimeout = requestTimeout
  }

  getConnections(): WSConnection[] {
    return [...this.#connections.values()]
  }

  getConnection(id: string): WSConnection | undefined {
    return this.#connections.get(id)
  }

  getConnectionCount(): number {
    return this.#connections.size
  }

  /** Names of the rooms that have at least one member. */
  getRooms(): string[] {
    return this.#adapter.localRooms()
  }

  getRoomConnections(room: string): WSConnection[] {
    const members = this.#adapter.membersOf(room) ?? []
    return [...members].flatMap((id) => this.#connections.get(id) ?? [])
  }

  /** The open connections of one user (a user may have several). */
  getUserConnections(userId: string): WSConnection[] {
    const ids = this.#adapter.userConnections(userId) ?? []
    return [...ids].flatMap((id) => this.#connections.get(id) ?? [])
  }

  /** Sends a custom message to every node's subscribers (this one included). */
  publish(channel: string, message: unknown): Promise<void> {
    if (typeof channel !== 'string' || channel === '') {
      throw new TypeError('publish(channel, message): channel must be a non-empty string')
    }
    return this.#adapter.publish(channel, message)
  }

  /** Seed 004's name for `publish`. */
  sendCustomMessage(channel: string, message: unknown): Promise<void>
  /** Seed 004's own form: `data` on its `Custom` channel (`WebSocketRedisSubscriberEvent.Custom`). */
  sendCustomMessage(options: { data: unknown }): Promise<void>
  sendCustomMessage(first: string | { data: unknown }, message?: unknown): Promise<void> {
    if (typeof first === 'object' && first !== null) {
      return this.publish(WebSocketRedisSubscriberEvent.Custom, first.data)
    }
    return this.publish(first, message)
  }

  /** Open connections on every node. */
  countConnections(): Promise<ClusterReply<number>> {
    return this.#cluster.countConnections()
  }

  /** Rooms with members on any node. */
  fetchRooms(): Promise<ClusterReply<string[]>> {
    return this.#cluster.fetchRooms()
  }

  /** The connections a target selects, on every node; without one, all of them. */
  fetchConnections(target?: ClusterTarget): Promise<ClusterReply<ConnectionInfo[]>> {
    return this.#cluster.fetchConnections(target)
  }

  fetchRoomMembers(room: string): Promise<ClusterReply<ConnectionInfo[]>> {
    assertRoomName(room)
    return this.#cluster.fetchConnections({ rooms: [room] })
  }

  fetchUserConnections(userId: string): Promise<ClusterReply<ConnectionInfo[]>> {
    return this.#cluster.fetchConnections({ users: [userId] })
  }

  /**
   * Every live node's `getStats()` and `health()`, read on that node: one
   * entry per node that answered (this one included), in no set order, named
   * by its `wss.nodeId` as `fetchConnections()` names it; a node that timed
   * out or sent a malformed answer is listed in `errors`.
   * @example
   * const { value } = await wss.fetchNodes()
   * const degraded = value.filter((node) => node.health.status !== 'ok')
   */
  async fetchNodes(): Promise<ClusterReply<NodeStatus[]>> {
    const result = await this.#adapter.request({ kind: 'stats' }, this.#requestTimeout)
    const value: NodeStatus[] = []
    const errors: NodeError[] = [...result.errors]
    for (const [nodeId, answer] of result.answers) {
      if (isNodeStatus(answer)) value.push(answer)
      else errors.push({ nodeId, error: 'malformed answer' })
    }
    const partial = result.partial || errors.length > result.errors.length
    return { value, nodes: value.length, errors, partial }
  }

  /** Makes the connections a target selects join `rooms`, wherever they are. @returns how many. */
  joinRooms(target: ClusterTarget, rooms: string[]): Promise<ClusterReply<number>> {
    return this.#cluster.joinRooms(target, rooms)
  }

  leaveRooms(target: ClusterTarget, rooms: string[]): Promise<ClusterReply<number>> {
    return this.#cluster.leaveRooms(target, rooms)
  }

  /**
   * Closes the connections a target selects, wherever they are (`{ all: true }` for every one).
   * @throws {RoomcastError} `ERR_INVALID_CLOSE_CODE`. @throws {TypeError} for a malformed target.
   */
  disconnect(target: ClusterTarget, code?: number, reason?: string): Promise<ClusterReply<number>> {
    return this.#cluster.disconnect(target, code, reason)
  }

  /** Closes every connection of a user, on every node. */
  disconnectUser(userId: string, code?: number, reason?: string): Promise<ClusterReply<number>> {
    return this.disconnect({ users: [userId] }, code, reason)
  }

  /**
   * Closes every connection of `userId`, and every one holding token id
   * `jti`, anywhere in the cluster with 4003 `Revoked`; a revoked `jti` is
   * refused at later handshakes and refreshes until the token expires (kept
   * in Redis with the Redis adapter, so nodes started later refuse it too).
   * @returns how many connections closed, per the cluster's answers; `partial`
   * (with the reason in `errors`) when a node did not answer or the store
   * could not keep the revoked id.
   * @throws {TypeError} without `userId` or `jti`, or for a malformed one.
   */
  async revoke(target: RevokeTarget): Promise<ClusterReply<number>> {
    if (typeof target !== 'object' || target === null) {
      throw new TypeError('revoke() takes { userId?, jti?, exp? }')
    }
    assertKnownKeys(target, REVOKE_KEYS, { object: 'revoke', scope: 'revoke()' })
    const { userId, jti, exp } = target
    for (const [name, value] of [
      ['userId', userId],
      ['jti', jti],
    ] as const) {
      if (value !== undefined && (typeof value !== 'string' || value === '')) {
        throw new TypeError(`revoke(): ${name} must be a non-empty string`)
      }
    }
    if (userId === undefined && jti === undefined) {
      throw new TypeError('revoke() needs a userId, a jti, or both')
    }
    if (exp !== undefined && !Number.isFinite(exp)) {
      throw new TypeError('revoke(): exp must be a number of seconds since the epoch')
    }
    const now = Date.now()
    // Refusing an id past its token's expiry costs nothing: the token is refused anyway then.
    const until =
      jti === undefined
        ? now
        : exp !== undefined
          ? Math.ceil(exp * 1000)
          : now + DEFAULT_REVOCATION_TTL
    const reply = await this.#cluster.revoke(userId, jti, until)
    const [closed, expiry] = reply.value
    const store = this.#adapter.store
    const keep = exp !== undefined || expiry === 0 ? until : expiry
    if (jti === undefined || keep <= now || store?.revoke === undefined) {
      return { ...reply, value: closed }
    }
    try {
      await store.revoke(jti, keep - now)
      return { ...reply, value: closed }
    } catch (error) {
      // The live nodes were told; nodes started later will not know: a partial revocation.
      const message = `revocation not kept in the store: ${toError(error).message}`
      return {
        ...reply,
        value: closed,
        errors: [...reply.errors, { nodeId: this.nodeId, error: message }],
        partial: true,
      }
    }
  }

  /** This server's id among the nodes of a cluster. */
  abstract readonly nodeId: string

  /** Who is in a room, cluster-wide: users, each with their connection count per node. */
  presence(room: string): Promise<PresenceEntry[]> {
    assertRoomName(room)
    return this.#adapter.presence(room)
  }
}
