/**
 * The durable store on Redis: one Stream per history room, written by the
 * same script that publishes the broadcast, so every node sees the same
 * positions in the same order; sessions and offline queues as keys with TTLs.
 */
import { createHash } from 'node:crypto'
import { RESP_TYPES } from 'redis'
import type { RoomPosition } from '../fanout/index.js'
import type { SessionSnapshot } from '../options/index.js'
import { newEpoch, POSITION_TTL, select } from './memory-store.js'
import type { RedisClient } from './redis-transport.js'
import type {
  ClusterStore,
  HistoryPage,
  HistoryQuery,
  KeptMessage,
  QueuedMessage,
  StoredBroadcast,
} from './store.js'

// KEYS: stream and meta per kept room, then a queue per offline user.
// ARGV: now, epoch, #kept, #channels, #offline, message, data, binary, except, position ttl,
// then room/size/ttl per kept room, each channel, channel/size/ttl per offline user.
const BROADCAST = `
local nKept, nChan, nOff = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local i = 11
local positions, limits = {}, {}
for k = 1, nKept do
  local meta = KEYS[2 * k]
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    epoch = ARGV[2]
    redis.call('HSET', meta, 'e', epoch)
  end
  local offset = redis.call('HINCRBY', meta, 'h', 1)
  redis.call('PEXPIRE', meta, ARGV[10])
  positions[k] = { ARGV[i], offset, epoch }
  limits[k] = { ARGV[i + 1], ARGV[i + 2] }
  i = i + 3
end
local message, p = ARGV[6], ''
if nKept > 0 then
  p = cjson.encode(positions)
  for k = 1, nKept do
    local stream = KEYS[2 * k - 1]
    redis.call('XADD', stream, 'MAXLEN', limits[k][1], '*',
      'p', p, 't', ARGV[1], 'd', ARGV[7], 'b', ARGV[8], 'x', ARGV[9])
    redis.call('PEXPIRE', stream, limits[k][2])
  end
  message = '\\2' .. p .. '\\n' .. message
end
for c = 1, nChan do
  redis.call('PUBLISH', ARGV[i], message)
  i = i + 1
end
for u = 1, nOff do
  if redis.call('PUBLISH', ARGV[i], message) == 0 then
    local queue = KEYS[2 * nKept + u]
    redis.call('RPUSH', queue, ARGV[1] .. ' ' .. ARGV[8] .. ' ' .. ARGV[7])
    redis.call('LTRIM', queue, -tonumber(ARGV[i + 1]), -1)
    redis.call('PEXPIRE', queue, ARGV[i + 2])
  end
  i = i + 3
end
return p
`

// KEYS: stream, meta. ARGV: epoch, position ttl.
const READ = `
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[2], 'e', epoch, 'h', 0)
end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return { epoch, redis.call('HGET', KEYS[2], 'h') or '0', redis.call('XRANGE', KEYS[1], '-', '+') }
`

// KEYS: queue.
const TAKE_QUEUE = `
local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items
`

const AS_BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } }

/** A script run by its hash, loaded again after a Redis restart forgot it. */
class Script {
  readonly #source: string
  readonly #sha: string

  constructor(source: string) {
    this.#source = source
    this.#sha = createHash('sha1').update(source).digest('hex')
  }

  async run<T>(
    client: RedisClient,
    keys: readonly string[],
    args: ReadonlyArray<string | Buffer>,
  ): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return await client.sendCommand<T>(['EVALSHA', this.#sha, ...tail], AS_BUFFERS)
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error
      return await client.sendCommand<T>(['EVAL', this.#source, ...tail], AS_BUFFERS)
    }
  }
}

const broadcastScript = new Script(BROADCAST)
const readScript = new Script(READ)
const takeQueueScript = new Script(TAKE_QUEUE)

type StreamEntry = [id: Buffer, fields: Buffer[]]

export class RedisStore implements ClusterStore {
  readonly shared = true
  readonly #current: () => RedisClient
  readonly #prefix: string

  /**
   * `client` gives the connection for commands (the transport may replace
   * one that stopped answering); `prefix` is the cluster's.
   */
  constructor(client: () => RedisClient, prefix: string) {
    this.#current = client
    this.#prefix = prefix
  }

  get #client(): RedisClient {
    return this.#current()
  }

  async broadcast(broadcast: StoredBroadcast): Promise<RoomPosition[]> {
    const { kept, channels, offline, queue } = broadcast
    const keys: string[] = []
    for (const { room } of kept) keys.push(this.#stream(room), this.#meta(room))
    for (const { userId } of offline) keys.push(this.#queue(userId))
    const args: Array<string | Buffer> = [
      String(Date.now()),
      newEpoch(),
      String(kept.length),
      String(channels.length),
      String(offline.length),
      broadcast.message,
      broadcast.data,
      broadcast.binary ? '1' : '0',
      JSON.stringify(broadcast.except ?? []),
      String(POSITION_TTL),
    ]
    for (const { room, size, ttl } of kept) args.push(room, String(size), String(ttl))
    args.push(...channels)
    for (const { channel } of offline) {
      args.push(channel, String(queue?.size ?? 1), String(queue?.ttl ?? 1))
    }
    const p = await broadcastScript.run<Buffer>(this.#client, keys, args)
    return p.length === 0 ? [] : (JSON.parse(p.toString()) as RoomPosition[])
  }

  async read(room: string, query: HistoryQuery, ttl: number): Promise<HistoryPage> {
    const keys = [this.#stream(room), this.#meta(room)]
    const [epoch, head, entries] = await readScript.run<[Buffer, Buffer, StreamEntry[]]>(
      this.#client,
      keys,
      [newEpoch(), String(POSITION_TTL)],
    )
    const since = Date.now() - ttl
    const messages = entries.map(toKept).filter((message) => message.time >= since)
    const last = Number(head.toString())
    const first = messages[0]?.positions.find((p) => p[0] === room)?.[1] ?? last + 1
    return {
      room,
      epoch: epoch.toString(),
      head: last,
      first,
      messages: select(messages, room, query),
    }
  }

  async saveSession(sessionId: string, session: SessionSnapshot, ttl: number): Promise<void> {
    await this.#client.set(this.#session(sessionId), JSON.stringify(session), { PX: ttl })
  }

  async takeSession(sessionId: string): Promise<SessionSnapshot | undefined> {
    const value = await this.#client.getDel(this.#session(sessionId))
    return typeof value === 'string' ? (JSON.parse(value) as SessionSnapshot) : undefined
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.#client.del(this.#session(sessionId))
  }

  async takeQueued(userId: string, ttl: number): Promise<QueuedMessage[]> {
    const items = await takeQueueScript.run<Buffer[]>(this.#client, [this.#queue(userId)], [])
    const since = Date.now() - ttl
    return items.map(toQueued).filter((message) => message.time >= since)
  }

  async revoke(jti: string, ttl: number): Promise<void> {
    await this.#client.set(this.#revoked(jti), '1', { PX: Math.max(1, ttl) })
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.#client.exists(this.#revoked(jti))) === 1
  }

  #stream(room: string): string {
    return `${this.#prefix}:history:${room}`
  }

  #meta(room: string): string {
    return `${this.#prefix}:history-meta:${room}`
  }

  #session(sessionId: string): string {
    return `${this.#prefix}:session:${sessionId}`
  }

  #revoked(jti: string): string {
    return `${this.#prefix}:revoked:${jti}`
  }

  #queue(userId: string): string {
    return `${this.#prefix}:offline:${userId}`
  }
}

function toKept([, fields]: StreamEntry): KeptMessage {
  const value = (name: string): Buffer => {
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i]?.toString() === name) return fields[i + 1] as Buffer
    }
    return Buffer.alloc(0)
  }
  const except = JSON.parse(value('x').toString() || '[]') as string[]
  return {
    positions: JSON.parse(value('p').toString()) as RoomPosition[],
    time: Number(value('t').toString()),
    data: value('d'),
    binary: value('b').toString() === '1',
    except: except.length === 0 ? undefined : except,
  }
}

/** `<time> <binary> <data>`, as the broadcast script queues it. */
function toQueued(item: Buffer): QueuedMessage {
  const first = item.indexOf(0x20)
  const second = item.indexOf(0x20, first + 1)
  return {
    time: Number(item.subarray(0, first).toString()),
    binary: item.subarray(first + 1, second).toString() === '1',
    data: item.subarray(second + 1),
  }
}
