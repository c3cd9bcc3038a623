/** The shared adapter suite on three cluster adapters talking through a real redis-server. */
import { after, before } from 'node:test'
import { createClient } from 'redis'
import { Channels } from '../src/adapter/channels.ts'
import { ClusterAdapter } from '../src/adapter/cluster.ts'
import { createRedisTransport } from '../src/adapter/redis-transport.ts'
import { runAdapterSuite } from './adapter-suite.ts'
import { FakeHost } from './helpers/adapter-host.ts'
import type { MakeCluster, TestNode } from './helpers/cluster.ts'
import { type RedisProcess, startRedis } from './helpers/redis.ts'
import { until } from './helpers/redis-cluster.ts'
import { delay, eventually } from './helpers/timeout.ts'

let redis: RedisProcess | undefined
let clusters = 0

before(async () => {
  redis = await startRedis()
})

after(async () => {
  await redis?.stop()
})

/** The channels each node should hold, counted over nodes, from the adapters' own state. */
function wanted(nodes: Array<TestNode<ClusterAdapter>>, channels: Channels): Map<string, number> {
  const counts = new Map<string, number>()
  const add = (channel: string) => counts.set(channel, (counts.get(channel) ?? 0) + 1)
  for (const { adapter, host } of nodes) {
    for (const room of adapter.localRooms()) add(channels.room(room))
    const users = new Set<string>()
    for (const [id, conn] of host.connections) {
      add(channels.conn(id))
      if (conn.userId !== undefined) users.add(conn.userId)
    }
    for (const user of users) add(channels.user(user))
  }
  return counts
}

const redisCluster: MakeCluster = async (size) => {
  if (redis === undefined) throw new Error('redis-server did not start')
  const url = redis.url
  // A prefix per cluster: nothing a finished test left on the bus reaches the next one.
  const prefix = `suite${++clusters}`
  const channels = new Channels(prefix)
  const checker = createClient({ url })
  await checker.connect()
  const nodes: Array<TestNode<ClusterAdapter>> = []
  for (let i = 0; i < size; i++) {
    const transport = await createRedisTransport({ url })
    const adapter = new ClusterAdapter({ transport, ownsTransport: true, prefix })
    const host = new FakeHost(`node-${i}`, adapter)
    await adapter.init(host)
    nodes.push({ adapter, host })
  }
  await eventually(
    () => nodes.every(({ adapter }) => adapter.health().nodes >= size),
    'every node knows the others',
    2000,
  )
  const settle = async () => {
    const want = wanted(nodes, channels)
    if (want.size > 0) {
      await until(
        async () => ({ ...(await checker.pubSubNumSub([...want.keys()])) }),
        (held) => [...want].every(([channel, count]) => held[channel] === count),
        'Redis holds every channel the nodes need',
      )
    }
    // Messages published before the settle (and the replies they cause) arrive meanwhile.
    await delay(40)
  }
  await settle()
  return {
    nodes,
    settle,
    close: async () => {
      await Promise.all(nodes.map(({ adapter }) => adapter.close()))
      await checker.quit()
    },
  }
}

runAdapterSuite('cluster over Redis', redisCluster, 3)
