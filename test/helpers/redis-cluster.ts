/** Roomcast servers in one process, each with its own Redis adapter, and what Redis holds for them. */
import type { IncomingMessage } from 'node:http'
import { createClient } from 'redis'
import { Channels } from '../../src/adapter/channels.ts'
import type { ClusterAdapter } from '../../src/adapter/cluster.ts'
import type { PresenceEvent, RoomcastServer, WebSocketOptions } from '../../src/index.ts'
import { createRedisAdapter, type RedisAdapterOptions, type RedisClient } from '../../src/redis.ts'
import { connectionQueue, type Pair } from './capture.ts'
import { connect, type TestClient } from './client.ts'
import { startServer, type TestServer } from './server.ts'
import { delay, within } from './timeout.ts'

/**
 * Polls an async `check` every 10 ms until `holds` accepts its value (a rejection counts as
 * not yet); rejects with `label` and the last value or error after `ms`.
 */
export async function until<T>(
  check: () => Promise<T>,
  holds: (value: T) => boolean,
  label: string,
  ms = 2000,
): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    let last: string
    try {
      const value = await within(check(), ms, label)
      if (holds(value)) return value
      last = JSON.stringify(value)
    } catch (error) {
      last = String(error)
    }
    if (Date.now() > deadline) throw new Error(`${label}: not true within ${ms} ms (last: ${last})`)
    await delay(10)
  }
}

/** Identity from the query string: `?user=u1` becomes `conn.userId`. */
export function userFromQuery(request: IncomingMessage): { userId?: string } | true {
  const user = new URL(request.url ?? '/', 'http://localhost').searchParams.get('user')
  return user === null ? true : { userId: user }
}

export interface RedisNode {
  srv: TestServer
  wss: RoomcastServer
  adapter: ClusterAdapter
  /** What the node's 'error' listener got (none is added with `errorListener: false`). */
  errors: Error[]
  presence: PresenceEvent[]
}

export interface OpenOptions {
  user?: string
  rooms?: string[]
}

export interface RedisCluster {
  nodes: RedisNode[]
  channels: Channels
  /** A plain client on the same Redis, for PUBSUB and PSUBSCRIBE. */
  observer: RedisClient
  /** Opens a client on node `index`, joins its server-side connection to `rooms`. */
  open(index: number, options?: OpenOptions): Promise<Pair>
  /** Resolves once Redis holds exactly the channels each node needs for its local state. */
  settled(ms?: number): Promise<void>
  close(): Promise<void>
}

export interface RedisClusterOptions {
  size?: number
  prefix: string
  adapter?: Partial<Omit<RedisAdapterOptions, 'redis' | 'prefix'>>
  server?: WebSocketOptions
  errorListener?: boolean
  /** Builds node `index`'s adapter instead of `createRedisAdapter` (to hold its transport). */
  createAdapter?: (index: number) => Promise<ClusterAdapter> | undefined
}

/** Subscribers per channel, as Redis counts them. */
async function numsub(client: RedisClient, channels: string[]): Promise<Record<string, number>> {
  if (channels.length === 0) return {}
  return { ...(await client.pubSubNumSub(channels)) }
}

/** An object with its keys in one order, so two of them compare as JSON. */
function byKey(entries: Array<[string, number]>): Record<string, number> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

/** `size` servers on 127.0.0.1, each with its own adapter on `url`, all knowing each other. */
export async function redisCluster(
  url: string,
  options: RedisClusterOptions,
): Promise<RedisCluster> {
  const { size = 3, prefix } = options
  const channels = new Channels(prefix)
  const nodes: RedisNode[] = []
  const clients: TestClient[] = []
  const queues: Array<ReturnType<typeof connectionQueue>> = []
  const observer = createClient({ url, socket: { reconnectStrategy: 50 } }) as RedisClient
  observer.on('error', () => {})

  const close = async () => {
    for (const client of clients.splice(0)) client.ws.terminate()
    await Promise.all(nodes.splice(0).map((node) => node.srv.close()))
    if (observer.isOpen) observer.destroy()
  }

  try {
    await within(observer.connect(), 2000, 'observer connect')
    for (let i = 0; i < size; i++) {
      const adapter = await within(
        options.createAdapter?.(i) ??
          createRedisAdapter({
            redis: url,
            prefix,
            heartbeatInterval: 100,
            nodeTimeout: 1000,
            ...options.adapter,
          }),
        3000,
        'createRedisAdapter',
      )
      const queue = connectionQueue(`connection on node ${i}`)
      queues.push(queue)
      const srv = await startServer({
        verifyClient: userFromQuery,
        requestTimeout: 1000,
        ...options.server,
        adapter,
        onConnection: (conn) => queue.push(conn),
      }).catch(async (error: unknown) => {
        await adapter.close()
        throw error
      })
      const node: RedisNode = { srv, wss: srv.wss, adapter, errors: [], presence: [] }
      nodes.push(node)
      if (options.errorListener !== false)
        srv.wss.on('error', (error: Error) => node.errors.push(error))
      srv.wss.on('presence', (event: PresenceEvent) => node.presence.push(event))
      await within(srv.wss.ready(), 3000, 'wss.ready()')
    }
    await until(
      async () => nodes.map((node) => node.wss.health().nodes),
      (counts) => counts.every((count) => count === size),
      'every node knows the others',
    )
  } catch (error) {
    await close()
    throw error
  }

  const settled = async (ms = 2000) => {
    const expected = new Map<string, number>()
    const add = (channel: string) => expected.set(channel, (expected.get(channel) ?? 0) + 1)
    for (const { wss } of nodes) {
      const users = new Set<string>()
      for (const room of wss.getRooms()) add(channels.room(room))
      for (const conn of wss.getConnections()) {
        add(channels.conn(conn.id))
        if (conn.userId !== undefined) users.add(conn.userId)
      }
      for (const user of users) add(channels.user(user))
    }
    const wanted = byKey([...expected])
    await until(
      async () => {
        // Every room, user and connection channel Redis holds for this prefix, with its subscribers.
        const held = await observer.pubSubChannels(`${prefix}:*`)
        const scoped = held.filter((c) => /^:(room|user|conn):/.test(c.slice(prefix.length)))
        const counts = await numsub(observer, [...new Set([...scoped, ...expected.keys()])])
        const nonZero = Object.entries(counts).filter(([, n]) => n > 0)
        return byKey(nonZero)
      },
      (held) => JSON.stringify(held) === JSON.stringify(wanted),
      'redis holds exactly the channels the nodes need',
      ms,
    )
  }

  return {
    nodes,
    channels,
    observer,
    async open(index, { user, rooms = [] } = {}) {
      const node = nodes[index]
      const queue = queues[index]
      if (node === undefined || queue === undefined) throw new Error(`no node ${index}`)
      const query = user === undefined ? '' : `?user=${encodeURIComponent(user)}`
      const client = await connect(node.srv.url(`/${query}`))
      clients.push(client)
      const conn = await queue.next()
      for (const room of rooms) conn.join(room)
      return { client, conn }
    },
    settled,
    close,
  }
}
