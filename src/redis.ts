/**
 * `roomcast/redis`: the cluster adapter and the emitter over Redis pub/sub
 * (node-redis). A separate entry point, so `redis` stays an optional peer.
 */
import { ClusterAdapter, type ClusterAdapterOptions } from './adapter/cluster.js'
import { createEmitter as createBusEmitter, type Emitter } from './adapter/emitter.js'
import {
  createRedisTransport,
  type RedisClient,
  type RedisTransportOptions,
} from './adapter/redis-transport.js'
import { assertKnownKeys, keySet } from './options/index.js'

/** Where to find Redis: a URL (roomcast owns its clients) or your client (it stays yours). */
export type RedisConnection = string | RedisClient

export interface RedisAdapterOptions
  extends Omit<ClusterAdapterOptions, 'transport' | 'ownsTransport'> {
  /** A `redis://` URL, or a connected node-redis client (duplicated for subscribing, never closed). */
  redis: RedisConnection
  /** How long the first connection may take (ms). @default 5000 */
  connectTimeout?: number
  /**
   * How long Redis may leave a command unanswered before the adapter counts
   * it down (frozen or cut off): `health()` turns `degraded`, an `error`
   * event fires, publishes fail at once with `ERR_ADAPTER_DOWN`. @default 3000
   */
  redisTimeout?: number
}

const ADAPTER_KEYS = keySet<RedisAdapterOptions>({
  redis: true,
  connectTimeout: true,
  redisTimeout: true,
  maxPendingPublishes: true,
  prefix: true,
  nodeId: true,
  heartbeatInterval: true,
  nodeTimeout: true,
  requestTimeout: true,
})

/** Options of the Redis {@link createEmitter}. */
export interface RedisEmitterOptions {
  /** A `redis://` URL, or a connected node-redis client (duplicated, never closed). */
  redis: RedisConnection
  /** The cluster's channel prefix. @default 'roomcast' */
  prefix?: string
  /** How long the first connection may take (ms). @default 5000 */
  connectTimeout?: number
  /** How long Redis may leave a command unanswered before publishes fail (ms). @default 3000 */
  redisTimeout?: number
}

const EMITTER_KEYS = keySet<RedisEmitterOptions>({
  redis: true,
  prefix: true,
  connectTimeout: true,
  redisTimeout: true,
})

function transportOptions(
  redis: RedisConnection,
  connectTimeout: number | undefined,
  redisTimeout: number | undefined,
): RedisTransportOptions {
  const timeout = {
    ...(connectTimeout === undefined ? {} : { connectTimeout }),
    ...(redisTimeout === undefined ? {} : { redisTimeout }),
  }
  if (typeof redis === 'string') return { url: redis, ...timeout }
  // A plain `{ host, port }` (PXL's redis config) is not a client: it has no duplicate().
  if (typeof (redis as Partial<RedisClient> | null)?.duplicate === 'function') {
    return { client: redis, ...timeout }
  }
  throw new TypeError(
    'roomcast/redis: `redis` must be a redis:// URL or a node-redis client (for { host, port }, pass `redis://host:port`)',
  )
}

function assertOptions(options: unknown, known: ReadonlySet<string>, scope: string): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${scope}: options must be an object with \`redis\``)
  }
  const object = scope === 'createEmitter' ? 'createEmitter' : 'createRedisAdapter'
  assertKnownKeys(options, known, { object, scope })
}

/**
 * Connects to Redis and returns a cluster adapter for `createWebSocket({ adapter })`.
 * Delivery over Redis pub/sub is at-most-once.
 * @throws {RoomcastError} (rejects) `ERR_INVALID_OPTION` for an option it does not have.
 * @example
 * const adapter = await createRedisAdapter({ redis: 'redis://127.0.0.1:6379', prefix: 'chat' })
 * const wss = createWebSocket({ adapter })
 */
export async function createRedisAdapter(options: RedisAdapterOptions): Promise<ClusterAdapter> {
  assertOptions(options, ADAPTER_KEYS, 'createRedisAdapter')
  const { redis, connectTimeout, redisTimeout, ...cluster } = options
  const transport = await createRedisTransport(
    transportOptions(redis, connectTimeout, redisTimeout),
  )
  try {
    return new ClusterAdapter({ ...cluster, transport, ownsTransport: true })
  } catch (error) {
    await transport.close()
    throw error
  }
}

/** An emitter that owns its Redis connection: `close()` releases it. */
export interface RedisEmitter extends Emitter {
  close(): Promise<void>
}

/**
 * An emitter for processes without a WebSocket server (job workers, cron
 * tasks, HTTP APIs): the same targeting as the server, over Redis.
 * @throws {RoomcastError} (rejects) `ERR_INVALID_OPTION` for an option it does not have.
 * @example
 * const emitter = await createEmitter({ redis: process.env.REDIS_URL, prefix: 'chat' })
 * await emitter.to('lobby').json({ type: 'news', text: 'Deploy done' })
 */
export async function createEmitter(options: RedisEmitterOptions): Promise<RedisEmitter> {
  assertOptions(options, EMITTER_KEYS, 'createEmitter')
  const transport = await createRedisTransport(
    transportOptions(options.redis, options.connectTimeout, options.redisTimeout),
  )
  const prefix = options.prefix === undefined ? {} : { prefix: options.prefix }
  const emitter = createBusEmitter({ transport, ...prefix })
  return Object.assign(emitter, { close: () => transport.close() })
}

export type { ClusterAdapter, ClusterAdapterOptions } from './adapter/cluster.js'
export type { Emitter, EmitterOperator } from './adapter/emitter.js'
export { createRedisTransport, type RedisClient, type RedisTransportOptions }
