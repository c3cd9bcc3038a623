/** The durable side of the memory adapter: ring buffers per room, sessions and offline queues in process. */
import { randomBytes } from 'node:crypto'
import type { RoomPosition } from '../fanout/index.js'
import type { SessionSnapshot } from '../options/index.js'
import type {
  DurableStore,
  HistoryPage,
  HistoryQuery,
  KeptMessage,
  KeptRoom,
  QueuedMessage,
} from './store.js'

/**
 * How long a room's position (epoch and head) outlives its last message: a
 * quiet room must not look lost to a client that saw everything in it.
 */
export const POSITION_TTL = 24 * 60 * 60 * 1000
/** Expired entries are swept at most this often. */
const SWEEP_INTERVAL = 10_000

export function newEpoch(): string {
  return randomBytes(6).toString('base64url')
}

/** The newest `capacity` messages of one room, oldest first. */
class RoomStream {
  readonly epoch = newEpoch()
  head = 0
  lastWrite = Date.now()
  #ring: Array<KeptMessage | undefined> = []
  #start = 0
  #count = 0

  push(message: KeptMessage, capacity: number): void {
    if (this.#ring.length !== capacity) this.#resize(capacity)
    const end = (this.#start + this.#count) % capacity
    this.#ring[end] = message
    if (this.#count < capacity) this.#count++
    else this.#start = (this.#start + 1) % capacity
    this.lastWrite = message.time
  }

  /** Forgets messages kept before `since`. */
  expire(since: number): void {
    while (this.#count > 0 && (this.#ring[this.#start]?.time ?? 0) < since) {
      this.#ring[this.#start] = undefined
      this.#start = (this.#start + 1) % this.#ring.length
      this.#count--
    }
  }

  messages(): KeptMessage[] {
    const out: KeptMessage[] = []
    for (let i = 0; i < this.#count; i++) {
      out.push(this.#ring[(this.#start + i) % this.#ring.length] as KeptMessage)
    }
    return out
  }

  #resize(capacity: number): void {
    const kept = this.messages().slice(-capacity)
    this.#ring = kept
    this.#ring.length = capacity
    this.#start = 0
    this.#count = kept.length
  }
}

interface Expiring<T> {
  value: T
  expires: number
}

export class MemoryStore implements DurableStore {
  readonly shared = false
  readonly #streams = new Map<string, RoomStream>()
  readonly #sessions = new Map<string, Expiring<SessionSnapshot>>()
  readonly #queues = new Map<string, Expiring<QueuedMessage[]>>()
  #swept = Date.now()

  /** Keeps one broadcast in each room's stream. @returns its positions. */
  append(
    rooms: readonly KeptRoom[],
    message: Omit<KeptMessage, 'positions' | 'time'>,
  ): RoomPosition[] {
    const time = Date.now()
    this.#maybeSweep(time)
    const streams = rooms.map(({ room }) => this.#stream(room))
    const positions = rooms.map(({ room }, i): RoomPosition => {
      const stream = streams[i] as RoomStream
      return [room, ++stream.head, stream.epoch]
    })
    const kept: KeptMessage = { ...message, positions, time }
    for (const [i, { size }] of rooms.entries()) streams[i]?.push(kept, size)
    return positions
  }

  async read(room: string, query: HistoryQuery, ttl: number): Promise<HistoryPage> {
    const stream = this.#stream(room)
    stream.expire(Date.now() - ttl)
    const all = stream.messages()
    const first = all.length === 0 ? stream.head + 1 : offsetIn(all[0] as KeptMessage, room)
    return {
      room,
      epoch: stream.epoch,
      head: stream.head,
      first,
      messages: select(all, room, query),
    }
  }

  /** Queues a message for a user with no connection. */
  enqueue(userId: string, message: QueuedMessage, size: number, ttl: number): void {
    const queue = this.#queues.get(userId)
    const expires = message.time + ttl
    if (queue === undefined) {
      this.#queues.set(userId, { value: [message], expires })
      return
    }
    queue.value.push(message)
    if (queue.value.length > size) queue.value.splice(0, queue.value.length - size)
    queue.expires = expires
  }

  async takeQueued(userId: string, ttl: number): Promise<QueuedMessage[]> {
    const queue = this.#queues.get(userId)
    if (queue === undefined) return []
    this.#queues.delete(userId)
    const since = Date.now() - ttl
    return queue.value.filter((message) => message.time >= since)
  }

  async saveSession(sessionId: string, session: SessionSnapshot, ttl: number): Promise<void> {
    const now = Date.now()
    this.#maybeSweep(now)
    this.#sessions.set(sessionId, { value: session, expires: now + ttl })
  }

  async takeSession(sessionId: string): Promise<SessionSnapshot | undefined> {
    const entry = this.#sessions.get(sessionId)
    this.#sessions.delete(sessionId)
    return entry !== undefined && entry.expires > Date.now() ? entry.value : undefined
  }

  async deleteSession(sessionId: string): Promise<void> {
    this.#sessions.delete(sessionId)
  }

  #stream(room: string): RoomStream {
    let stream = this.#streams.get(room)
    if (stream === undefined) {
      stream = new RoomStream()
      this.#streams.set(room, stream)
    }
    return stream
  }

  #maybeSweep(now: number): void {
    if (now - this.#swept < SWEEP_INTERVAL) return
    this.#swept = now
    for (const [id, entry] of this.#sessions) if (entry.expires <= now) this.#sessions.delete(id)
    for (const [id, entry] of this.#queues) if (entry.expires <= now) this.#queues.delete(id)
    for (const [room, stream] of this.#streams) {
      if (now - stream.lastWrite > POSITION_TTL) this.#streams.delete(room)
    }
  }
}

/** A kept message's offset in `room`. */
export function offsetIn(message: KeptMessage, room: string): number {
  return message.positions.find((position) => position[0] === room)?.[1] ?? 0
}

/** The part of a room's messages (oldest first) a query asks for. */
export function select(messages: KeptMessage[], room: string, query: HistoryQuery): KeptMessage[] {
  const { after, limit } = query
  const from = after === undefined ? messages : messages.filter((m) => offsetIn(m, room) > after)
  if (limit === undefined || from.length <= limit) return from
  return after === undefined ? from.slice(from.length - limit) : from.slice(0, limit)
}
