/** Who is connected where: local reads, cluster-wide queries and actions, presence, custom messages. */
import type { Adapter, ConnectionInfo, PresenceEntry } from '../adapter/index.js'
import { ClusterQueries, type ClusterReply, type ClusterTarget } from '../cluster/index.js'
import { WebSocketRedisSubscriberEvent } from '../compat/index.js'
import { assertRoomName } from '../rooms.js'
import type { WSConnection } from '../types.js'
import { BroadcastApi } from './broadcast-api.js'

/**
 * Reads of this node's connections and rooms, and cluster-wide reads and
 * actions over the adapter (on a single node they answer for it alone).
 */
export abstract class ClusterApi extends BroadcastApi {
  readonly #adapter: Adapter
  readonly #connections: ReadonlyMap<string, WSConnection>
  readonly #cluster: ClusterQueries

  constructor(
    adapter: Adapter,
    connections: ReadonlyMap<string, WSConnection>,
    requestTimeout: number | undefined,
  ) {
    super()
    this.#adapter = adapter
    this.#connections = connections
    this.#cluster = new ClusterQueries(adapter, requestTimeout)
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

  /** Who is in a room, cluster-wide: users, each with their connection count per node. */
  presence(room: string): Promise<PresenceEntry[]> {
    assertRoomName(room)
    return this.#adapter.presence(room)
  }
}
