/** What a cluster store runs for one broadcast: the rooms it keeps, the channels, the users it queues for. */
import type { Payload } from '../fanout/index.js'
import type { Channels } from './channels.js'
import type { KeptRoom, QueueLimits, StoredBroadcast } from './store.js'
import type { WireTarget } from './types.js'

export interface StoredBroadcastParts {
  channels: Channels
  target: WireTarget
  payload: Payload
  kept: readonly KeptRoom[]
  /** Queue limits, when users with no receiver get the message queued. */
  queue: QueueLimits | undefined
  /** Ids this node delivers itself; with `kept` none, since the echo is its delivery. */
  isLocal: (id: string) => boolean
  /** The bus message; `multi` when it goes out on more than one channel. */
  message(multi: boolean): Buffer
}

/**
 * Users' channels go apart when they have a queue, so the store can queue
 * where no node received it. A kept broadcast is published on local
 * connections' channels too: its echo is how this node delivers it.
 */
export function storedBroadcast(parts: StoredBroadcastParts): StoredBroadcast {
  const { channels: names, target, payload, kept, queue } = parts
  const offline =
    queue === undefined
      ? []
      : (target.users ?? []).map((userId) => ({ userId, channel: names.user(userId) }))
  const queued = new Set(offline.map(({ channel }) => channel))
  const channels = names
    .forTarget(target, kept.length > 0 ? undefined : parts.isLocal)
    .filter((channel) => !queued.has(channel))
  return {
    kept,
    data: payload.data,
    binary: payload.binary,
    except: target.except,
    message: parts.message(channels.length + offline.length > 1),
    channels,
    offline,
    queue,
  }
}
