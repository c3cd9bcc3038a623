/**
 * A Redis cut off by the network: the link to it goes down, packets vanish,
 * no socket closes. Run where the machine allows a network namespace (root
 * and iproute2); skipped with the reason otherwise.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AdapterError, ErrorCode, type RoomcastServer } from '../src/index.ts'
import type { Pair } from './helpers/capture.ts'
import { partitionedRedis, partitionUnsupported } from './helpers/netns.ts'
import { type RedisCluster, redisCluster } from './helpers/redis-cluster.ts'
import { cleanupsAfterEach, leaksDuringFile } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()
const leaked = leaksDuringFile()

const REDIS_TIMEOUT = 600
const DETECTION_BOUND = (REDIS_TIMEOUT * 4) / 3 + 250

const wssOf = (c: RedisCluster, index: number): RoomcastServer => {
  const node = c.nodes[index]
  assert.ok(node, `no node ${index}`)
  return node.wss
}

async function roomWorks(c: RedisCluster, pairs: Pair[], text: string): Promise<void> {
  await c.settled(3000)
  wssOf(c, 0).to('r').send(text)
  for (const pair of pairs) {
    let got = (await pair.client.next(1000)).toString()
    while (got !== text) got = (await pair.client.next(1000)).toString()
  }
}

test('a partition is noticed within the timeout; healed, the cluster re-subscribes and every room works', async (t) => {
  const unsupported = await partitionUnsupported()
  if (unsupported !== undefined) {
    t.skip(`partition test skipped: ${unsupported}`)
    return
  }
  const redis = await within(partitionedRedis(), 8000, 'redis in a namespace')
  cleanups.push(() => redis.close())
  const c = await redisCluster(redis.url, {
    size: 2,
    prefix: 'part',
    adapter: { redisTimeout: REDIS_TIMEOUT },
  })
  cleanups.push(() => within(c.close(), 5000, 'cluster close'))
  const [n0, n1] = [wssOf(c, 0), wssOf(c, 1)]
  const a = await c.open(0, { rooms: ['r'] })
  const b = await c.open(1, { rooms: ['r'] })
  await roomWorks(c, [a, b], 'before')

  await redis.cut()
  cleanups.push(() => redis.heal())
  const started = performance.now()
  for (const [i, node] of c.nodes.entries()) {
    await eventually(
      () => node.wss.health().status === 'degraded',
      `node ${i} degraded`,
      DETECTION_BOUND + 1000,
    )
  }
  const noticed = performance.now() - started
  assert.ok(noticed <= DETECTION_BOUND, `took ${Math.round(noticed)} ms to notice`)
  assert.match(n0.health().reason ?? '', /did not answer within 600 ms \(frozen or cut off\)/)
  const failing = performance.now()
  await assert.rejects(n1.publish('news', 1), (error: unknown) => {
    assert.ok(error instanceof AdapterError)
    assert.equal(error.code, ErrorCode.AdapterDown)
    return true
  })
  assert.ok(performance.now() - failing < 100, 'publish did not fail fast')
  assert.equal(n0.to('r').send('local'), 1)
  assert.equal((await a.client.next(1000)).toString(), 'local')

  // Cut for several timeouts: reconnection attempts time out meanwhile.
  await delay(REDIS_TIMEOUT * 3)
  await redis.heal()
  for (const [i, node] of c.nodes.entries()) {
    await eventually(() => node.wss.health().status === 'ok', `node ${i} ok again`, 8000)
  }
  await eventually(() => c.nodes.every((node) => node.wss.health().nodes === 2), 'nodes back')
  await roomWorks(c, [a, b], 'after')
  for (const node of c.nodes) assert.equal(node.errors.length, 1)
  assert.deepEqual(leaked, [])
})
