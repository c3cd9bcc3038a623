/** Bus channel names, shared by the cluster adapter and the emitter so both speak to the same nodes. */
import { ErrorCode, RoomcastError } from '../errors.js'
import type { WireTarget } from './types.js'

/** @default */
export const DEFAULT_PREFIX = 'roomcast'

/** Every channel of one cluster, namespaced by its prefix. */
export class Channels {
  readonly prefix: string
  /** Broadcasts with no rooms, users or ids. */
  readonly all: string
  /** Node hello, heartbeat and bye. */
  readonly nodes: string
  /** Presence changes and snapshots. */
  readonly presence: string
  /** `publish(channel, message)` messages. */
  readonly custom: string

  constructor(prefix: string = DEFAULT_PREFIX) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new RoomcastError(ErrorCode.InvalidOption, '`prefix` must be a non-empty string')
    }
    this.prefix = prefix
    this.all = `${prefix}:all`
    this.nodes = `${prefix}:nodes`
    this.presence = `${prefix}:presence`
    this.custom = `${prefix}:custom`
  }

  room(room: string): string {
    return `${this.prefix}:room:${room}`
  }

  user(userId: string): string {
    return `${this.prefix}:user:${userId}`
  }

  /** One connection's channel, subscribed by the node that holds it. */
  conn(id: string): string {
    return `${this.prefix}:conn:${id}`
  }

  /** Requests and responses addressed to one node. */
  node(nodeId: string): string {
    return `${this.prefix}:node:${nodeId}`
  }

  /**
   * The channels that reach every node with a connection `target` selects:
   * one per room, user and id, or `all` when it names none of them. `skipId`
   * leaves out ids the publisher delivers itself.
   */
  forTarget(target: WireTarget, skipId?: (id: string) => boolean): string[] {
    const { rooms, users, ids } = target
    if (rooms === undefined && users === undefined && ids === undefined) return [this.all]
    const channels = new Set<string>()
    for (const room of rooms ?? []) channels.add(this.room(room))
    for (const userId of users ?? []) channels.add(this.user(userId))
    for (const id of ids ?? []) if (skipId === undefined || !skipId(id)) channels.add(this.conn(id))
    return [...channels]
  }
}
