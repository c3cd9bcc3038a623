/** Redis pub/sub as a cluster Transport: node-redis clients, batched subscriptions, re-subscribe. */
import {
  createClient,
  type RedisClientType,
  type RedisFunctions,
  type RedisModules,
  type RedisScripts,
  type RespVersions,
  type TypeMapping,
} from 'redis'
import { assertKnownKeys, invalid } from '../options/index.js'
import {
  connectWithin,
  maxReconnectDelay,
  quit,
  Releasable,
  reconnectStrategy,
} from './redis-clients.js'
import { RedisLiveness } from './redis-liveness.js'
import { RedisStore } from './redis-store.js'
import type { ClusterStore } from './store.js'
import type { Transport, TransportStatus } from './transport.js'

/** A connected node-redis v5 client, whatever its modules, RESP version or type mapping. */
export type RedisClient = RedisClientType<
  RedisModules,
  RedisFunctions,
  RedisScripts,
  RespVersions,
  TypeMapping
>

interface CommonOptions {
  /** How long the first connection may take before the promise rejects. @default 5000 */
  connectTimeout?: number
  /**
   * How long Redis may leave a command unanswered before it counts as down
   * (frozen, or cut off by the network without the socket closing). Each
   * client is probed with PING three times per period; a silent connection
   * of roomcast's own is dropped and opened afresh, and publishes in flight
   * on it fail (they may still have been delivered: never retried).
   * @default 3000
   */
  redisTimeout?: number
  /**
   * A message listener threw. The throw is caught so it cannot reset the Redis
   * reply parser; without this option it is rethrown on the next tick, as an
   * EventEmitter listener's would be.
   */
  onError?: (error: Error) => void
}

export type RedisTransportOptions = CommonOptions &
  (
    | { /** The transport creates, owns and closes two clients. */ url: string; client?: never }
    | {
        /**
         * Stays the caller's: used as is for PUBLISH, duplicated for the
         * subscriber, never given listeners or closed.
         */
        client: RedisClient
        url?: never
      }
  )

// A union's keys are only the common ones, so the set is spelled out.
const TRANSPORT_KEYS: ReadonlySet<string> = new Set<keyof CommonOptions | 'url' | 'client'>([
  'url',
  'client',
  'connectTimeout',
  'redisTimeout',
  'onError',
])

const defaultRedisTimeout = 3000

interface Waiter {
  resolve(): void
  reject(error: Error): void
}

class RedisTransport implements Transport {
  #publisher: RedisClient
  #subscriber: RedisClient
  /** Clients created here: they get our listeners, are replaced when silent, and closed by close(). */
  #owned: RedisClient[]
  readonly #ownsPublisher: boolean
  readonly #onError: ((error: Error) => void) | undefined
  readonly #redisTimeout: number
  readonly #liveness: RedisLiveness
  /** The caller's client while it leaves a PING unanswered; it is not ours to cut. */
  #silentCallerClient = false
  /** Publishes on the caller's client, released when it falls silent. */
  readonly #callerPublishes = new Releasable()
  #status: TransportStatus = { up: false, reason: 'connecting' }
  #onMessage: ((channel: string, message: Buffer) => void) | undefined
  #onStatus: ((status: TransportStatus) => void) | undefined
  /** Channels the adapter holds; what Redis must match after every reconnect. */
  readonly #wanted = new Set<string>()
  /** Channels changed since the last flush, and the callers waiting on that flush. */
  #dirty = new Set<string>()
  #waiters: Waiter[] = []
  #scheduled: NodeJS.Immediate | undefined
  /** Flushes run one after another, so each sees what the previous one left subscribed. */
  #chain: Promise<void> = Promise.resolve()
  /** Bumped on each subscriber 'ready'; a resync reports up only if it is still current. */
  #epoch = 0
  #syncedEpoch = -1
  #retry: NodeJS.Timeout | undefined
  #closing: Promise<void> | undefined

  constructor(publisher: RedisClient, subscriber: RedisClient, options: RedisTransportOptions) {
    this.#publisher = publisher
    this.#subscriber = subscriber
    this.#ownsPublisher = options.client === undefined
    this.#owned = this.#ownsPublisher ? [publisher, subscriber] : [subscriber]
    this.#onError = options.onError
    this.#redisTimeout = options.redisTimeout ?? defaultRedisTimeout
    this.#liveness = new RedisLiveness(this.#redisTimeout, {
      silent: (client) => this.#silent(client),
      answered: () => {
        this.#silentCallerClient = false
        this.#maybeUp()
      },
    })
    for (const client of this.#owned) this.#listen(client)
    this.#liveness.watch(publisher)
    this.#liveness.watch(subscriber)
  }

  get status(): TransportStatus {
    return this.#status
  }

  get latency(): number | undefined {
    return this.#liveness.latency
  }

  /** Clients this transport created and closes (for connecting them and for tests). */
  get owned(): readonly RedisClient[] {
    return this.#owned
  }

  onMessage(listener: (channel: string, message: Buffer) => void): void {
    this.#onMessage = listener
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.#onStatus = listener
  }

  async publish(channel: string, message: Buffer): Promise<void> {
    if (this.#closing !== undefined) throw new Error('redis transport is closed')
    const publisher = this.#publisher
    // Down as soon as either connection is seen lost, not when this one notices;
    // and a caller's client may queue while offline, so never leave it to node-redis.
    if (!this.#status.up || !publisher.isReady) throw this.#unavailable()
    if (!this.#ownsPublisher) {
      await this.#callerPublishes.track(publisher.publish(channel, message))
      return
    }
    try {
      await publisher.publish(channel, message)
    } catch (error) {
      // Dropped for silence: the PUBLISH may have reached Redis all the same.
      if (publisher !== this.#publisher) throw this.#unanswered(error)
      throw error
    }
  }

  createStore(prefix: string): ClusterStore {
    return new RedisStore(() => this.#publisher, prefix)
  }

  subscribe(channels: readonly string[]): Promise<void> {
    return this.#change(channels, true)
  }

  unsubscribe(channels: readonly string[]): Promise<void> {
    return this.#change(channels, false)
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  /**
   * Makes Redis hold exactly the wanted channels, then reports up. node-redis
   * re-subscribes what it had on reconnect, but not a SUBSCRIBE that failed
   * during the outage, and it would still hold channels dropped meanwhile.
   */
  async resync(): Promise<void> {
    const epoch = ++this.#epoch
    clearTimeout(this.#retry)
    for (const channel of this.#wanted) this.#dirty.add(channel)
    for (const channel of this.#held().keys()) this.#dirty.add(channel)
    // Changes made meanwhile are flushed too, so the comparison below sees them applied.
    do await this.#enqueueFlush()
    while (this.#dirty.size > 0 && epoch === this.#epoch && this.#closing === undefined)
    if (epoch !== this.#epoch || !this.#subscriber.isReady || this.#closing !== undefined) return
    const held = this.#held()
    const matches = held.size === this.#wanted.size && [...this.#wanted].every((c) => held.has(c))
    if (matches) {
      this.#syncedEpoch = epoch
      this.#maybeUp()
      return
    }
    this.#down('redis re-subscription incomplete; retrying')
    this.#retry = setTimeout(() => void this.resync(), maxReconnectDelay).unref()
  }

  #change(channels: readonly string[], wanted: boolean): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(new Error('redis transport is closed'))
    if (channels.length === 0) return Promise.resolve()
    for (const channel of channels) {
      if (wanted) this.#wanted.add(channel)
      else this.#wanted.delete(channel)
      this.#dirty.add(channel)
    }
    // One flush for every change made in this tick: a burst of joins is one SUBSCRIBE.
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined
      void this.#enqueueFlush()
    })
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  #enqueueFlush(): Promise<void> {
    this.#chain = this.#chain.then(() => this.#flush())
    return this.#chain
  }

  /** Never rejects: a failure rejects the callers whose changes were in the batch. */
  async #flush(): Promise<void> {
    const batch = this.#dirty
    const waiters = this.#waiters
    this.#dirty = new Set()
    this.#waiters = []
    if (batch.size === 0) return
    try {
      await this.#apply(batch)
      for (const waiter of waiters) waiter.resolve()
    } catch (error) {
      for (const waiter of waiters) waiter.reject(error as Error)
    }
  }

  async #apply(batch: ReadonlySet<string>): Promise<void> {
    // While down the change stays in #wanted and resync() applies it on return.
    if (!this.#subscriber.isReady) throw this.#unavailable()
    const held = this.#held()
    const add: string[] = []
    const remove: string[] = []
    for (const channel of batch) {
      const entry = held.get(channel)
      if (this.#wanted.has(channel)) {
        if (entry === undefined || entry.unsubscribing) add.push(channel)
      } else if (entry !== undefined) remove.push(channel)
    }
    const pending: Promise<void>[] = []
    if (add.length > 0) pending.push(this.#subscriber.subscribe(add, this.#deliver, true))
    if (remove.length > 0) pending.push(this.#subscriber.unsubscribe(remove, this.#deliver, true))
    // Settle both before the next flush reads what is held.
    for (const result of await Promise.allSettled(pending)) {
      if (result.status === 'rejected') throw result.reason
    }
  }

  #held() {
    return this.#subscriber.getPubSubListeners('CHANNELS')
  }

  /** One listener for every channel, in buffer mode: payloads stay bytes. */
  readonly #deliver = (message: Buffer, channel: Buffer): void => {
    try {
      this.#onMessage?.(channel.toString(), message)
    } catch (error) {
      // Thrown inside node-redis' parser it would be caught there and reset the stream.
      const report = this.#onError
      if (report !== undefined) report(error as Error)
      else
        process.nextTick(() => {
          throw error
        })
    }
  }

  #listen(client: RedisClient): void {
    // An 'error' listener on every client we create: without one node-redis
    // crashes the process on the first lost connection.
    client.on('error', (error: Error) => {
      if (this.#owned.includes(client) && !client.isReady) {
        this.#down(`redis connection lost: ${error.message}`)
      }
    })
    client.on('ready', () => {
      if (client === this.#subscriber) void this.resync()
      else if (this.#owned.includes(client)) this.#maybeUp()
    })
  }

  /** A client left a PING unanswered for `redisTimeout` ms. */
  #silent(client: RedisClient): void {
    this.#down(`redis did not answer within ${this.#redisTimeout} ms (frozen or cut off)`)
    if (this.#owned.includes(client)) this.#replace(client)
    else {
      this.#silentCallerClient = true
      this.#callerPublishes.releaseAll(this.#unanswered())
    }
  }

  /**
   * Drops a connection that stopped answering and opens a fresh one in its
   * place: node-redis would wait on the old socket for as long as the kernel
   * keeps it. Destroying it fails what was in flight; the fresh client
   * reconnects with the usual backoff and, once ready, resynchronises.
   */
  #replace(silent: RedisClient): void {
    if (this.#closing !== undefined) return
    const fresh = silent.duplicate()
    this.#listen(fresh)
    this.#owned = this.#owned.map((client) => (client === silent ? fresh : client))
    if (silent === this.#publisher) this.#publisher = fresh
    if (silent === this.#subscriber) this.#subscriber = fresh
    this.#liveness.forget(silent)
    this.#liveness.watch(fresh)
    silent.destroy()
    // Retries forever with reconnectStrategy; each failure arrives as an 'error' event.
    fresh.connect().catch(() => {})
  }

  #unanswered(cause?: unknown): Error {
    return new Error(
      `redis did not answer within ${this.#redisTimeout} ms; the command may or may not have reached it`,
      { cause },
    )
  }

  #maybeUp(): void {
    const ready = this.#owned.every((client) => client.isReady) && !this.#silentCallerClient
    if (!ready || this.#syncedEpoch !== this.#epoch || this.#closing !== undefined) return
    if (this.#status.up) return
    this.#status = { up: true }
    this.#onStatus?.(this.#status)
  }

  /** Reported once per outage: node-redis emits 'error' on every failed reconnect. */
  #down(reason: string): void {
    if (!this.#status.up || this.#closing !== undefined) return
    this.#status = { up: false, reason }
    this.#onStatus?.(this.#status)
  }

  #unavailable(): Error {
    const reason = this.#status.up ? 'client not ready' : this.#status.reason
    return new Error(`redis unavailable: ${reason}`)
  }

  async #shutdown(): Promise<void> {
    clearImmediate(this.#scheduled)
    clearTimeout(this.#retry)
    this.#liveness.stop()
    const closed = new Error('redis transport is closed')
    for (const waiter of this.#waiters.splice(0)) waiter.reject(closed)
    this.#dirty.clear()
    this.#wanted.clear()
    this.#onMessage = undefined
    this.#onStatus = undefined
    // During an outage a socket node-redis still thinks is ready would swallow
    // QUIT until the timeout: leaving anyway, so destroy at once.
    const polite = this.#status.up
    this.#status = { up: false, reason: 'redis transport is closed' }
    await Promise.all(
      this.#owned.map((client) => quit(client, polite, client === this.#subscriber)),
    )
  }
}

/**
 * Connects a Redis pub/sub transport for a cluster adapter. Resolves once
 * connected; afterwards it reconnects (50 ms doubling to 2 s) until `close()`,
 * and reports each outage and recovery once through `onStatus`.
 * @throws {TypeError} when neither or both of `url` and `client` are given.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for a timeout that is not a positive number.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for an option it does not have.
 * @example
 * const transport = await createRedisTransport({ url: 'redis://127.0.0.1:6379' })
 * transport.onMessage((channel, message) => console.log(channel, message.length))
 * await transport.subscribe(['app:room:lobby'])
 */
export function createRedisTransport(options: RedisTransportOptions): Promise<Transport> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createRedisTransport: pass `{ url }` or `{ client }`')
  }
  assertKnownKeys(options, TRANSPORT_KEYS, {
    object: 'createRedisTransport',
    scope: 'createRedisTransport',
  })
  const { url, client, connectTimeout = 5000, redisTimeout = defaultRedisTimeout } = options
  if ((url === undefined) === (client === undefined)) {
    throw new TypeError('createRedisTransport: pass exactly one of `url` and `client`')
  }
  if (!Number.isFinite(connectTimeout) || connectTimeout <= 0) {
    throw invalid('connectTimeout', 'a positive number of milliseconds', connectTimeout)
  }
  if (!Number.isFinite(redisTimeout) || redisTimeout <= 0) {
    throw invalid('redisTimeout', 'a positive number of milliseconds', redisTimeout)
  }
  // Each reconnection attempt is bounded too: across a partition a SYN just goes unanswered.
  const socket = { reconnectStrategy, connectTimeout: redisTimeout }
  // Rejects commands while disconnected instead of queueing them for later.
  const own = { disableOfflineQueue: true } as const
  let publisher: RedisClient
  let subscriber: RedisClient
  if (client !== undefined) {
    publisher = client
    // duplicate() replaces `socket` whole: keep the caller's host, port and TLS.
    subscriber = client.duplicate({ ...own, socket: { ...client.options.socket, ...socket } })
  } else {
    publisher = createClient({ url, ...own, socket })
    subscriber = publisher.duplicate()
  }
  const transport = new RedisTransport(publisher, subscriber, options)
  const owned = [...transport.owned]
  let lastError = ''
  const record = (error: Error) => {
    lastError = error.message
  }
  for (const each of owned) each.on('error', record)
  return connectWithin(owned, connectTimeout, () => lastError)
    .then(() => transport.resync())
    .then(
      () => {
        for (const each of owned) each.off('error', record)
        return transport
      },
      async (error: unknown) => {
        await transport.close()
        throw error
      },
    )
}
