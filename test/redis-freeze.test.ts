/**
 * A Redis that stops answering without closing its sockets: frozen with
 * SIGSTOP. The cluster must notice within its `redisTimeout`, fail fast,
 * bound what is in flight, and come back whole on SIGCONT.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createClient } from 'redis'
import { AdapterError, ErrorCode, type RoomcastServer } from '../src/index.ts'
import { createRedisAdapter, type RedisClient } from '../src/redis.ts'
import type { Pair } from './helpers/capture.ts'
import { ownRedis, type RedisProcess } from './helpers/redis.ts'
import { type RedisCluster, redisCluster } from './helpers/redis-cluster.ts'
import { cleanupsAfterEach, leaksDuringFile } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()
const leaked = leaksDuringFile()

const REDIS_TIMEOUT = 600
/** Probes run three times per timeout: a silence is seen within 4/3 of it, plus timer slack. */
const DETECTION_BOUND = (REDIS_TIMEOUT * 4) / 3 + 250

let prefixes = 0
async function cluster(
  redis: RedisProcess,
  options: Omit<Parameters<typeof redisCluster>[1], 'prefix'> = {},
  prefix = `fz${prefixes++}`,
): Promise<RedisCluster> {
  const started = await redisCluster(redis.url, {
    size: 2,
    prefix,
    ...options,
    adapter: { redisTimeout: REDIS_TIMEOUT, ...options.adapter },
  })
  cleanups.push(() => within(started.close(), 5000, 'cluster close'))
  return started
}

const wssOf = (c: RedisCluster, index: number): RoomcastServer => {
  const node = c.nodes[index]
  assert.ok(node, `no node ${index}`)
  return node.wss
}

/** Milliseconds until `check` holds, polled every 5 ms; rejects after `ms`. */
async function timeUntil(check: () => boolean, label: string, ms: number): Promise<number> {
  const started = performance.now()
  await eventually(check, label, ms)
  return performance.now() - started
}

async function nextText(pair: Pair, ms = 1000): Promise<string> {
  return (await pair.client.next(ms)).toString()
}

/** What a broadcast to `room` from node 0 delivers, once Redis holds every channel again. */
async function roomWorks(c: RedisCluster, pairs: Pair[], text: string): Promise<void> {
  await c.settled(3000)
  wssOf(c, 0).to('r').send(text)
  for (const pair of pairs) {
    // Traffic sent before the check may still be arriving: skip to this message.
    let got = await nextText(pair)
    while (got !== text) got = await nextText(pair)
  }
}

test('redisTimeout must be a positive number of milliseconds', async () => {
  for (const redisTimeout of [0, -1, '1000', Number.NaN]) {
    await assert.rejects(
      createRedisAdapter({ redis: 'redis://127.0.0.1:1', redisTimeout: redisTimeout as number }),
      {
        code: ErrorCode.InvalidOption,
        message: `Invalid option "redisTimeout": expected a positive number of milliseconds, got ${typeof redisTimeout === 'string' ? `"${redisTimeout}"` : redisTimeout}`,
      },
    )
  }
})

describe('a frozen Redis (SIGSTOP)', () => {
  test('is noticed within the timeout: degraded with the reason, one error, publishes fail fast; after SIGCONT every room works', async () => {
    const redis = await ownRedis(cleanups)
    const c = await cluster(redis)
    const [n0, n1] = [wssOf(c, 0), wssOf(c, 1)]
    const a = await c.open(0, { rooms: ['r'] })
    const b = await c.open(1, { rooms: ['r'] })
    await roomWorks(c, [a, b], 'before')
    // The probes measure the bus's round trip.
    await eventually(() => typeof n0.health().latency === 'number', 'latency measured')

    redis.freeze()
    cleanups.push(() => redis.thaw())
    for (const [i, node] of c.nodes.entries()) {
      const noticed = await timeUntil(
        () => node.wss.health().status === 'degraded',
        `node ${i} degraded`,
        DETECTION_BOUND + 1000,
      )
      assert.ok(noticed <= DETECTION_BOUND, `node ${i} took ${Math.round(noticed)} ms to notice`)
      assert.equal(
        node.wss.health().reason,
        `message bus down: redis did not answer within ${REDIS_TIMEOUT} ms (frozen or cut off)`,
      )
      await eventually(() => node.errors.length > 0, `node ${i} emitted an error`)
    }

    // Fails at once while frozen, with the code, and nothing waits on Redis.
    const started = performance.now()
    await assert.rejects(n1.publish('news', 1), (error: unknown) => {
      assert.ok(error instanceof AdapterError)
      assert.equal(error.code, ErrorCode.AdapterDown)
      return true
    })
    assert.ok(performance.now() - started < 100, 'publish did not fail fast')
    assert.equal(n1.health().publishesPending, 0)
    // Local delivery goes on.
    assert.equal(n0.to('r').send('local'), 1)
    assert.equal(await nextText(a), 'local')

    // Frozen longer than the timeout: the fresh connections must wait it out too.
    await delay(REDIS_TIMEOUT * 2)
    redis.thaw()
    for (const [i, node] of c.nodes.entries()) {
      await eventually(() => node.wss.health().status === 'ok', `node ${i} ok again`, 5000)
    }
    await eventually(() => c.nodes.every((node) => node.wss.health().nodes === 2), 'nodes back')
    await roomWorks(c, [a, b], 'after')
    await n1.publish('news', 2)
    // One report per outage, not one per probe or lost message.
    for (const node of c.nodes) {
      assert.equal(node.errors.length, 1)
      assert.ok(node.errors[0] instanceof AdapterError)
    }
    assert.deepEqual(leaked, [])
  })

  test('a publish in flight when Redis froze fails once the silence is noticed, its outcome unknown', async () => {
    const redis = await ownRedis(cleanups)
    const c = await cluster(redis)
    const n0 = wssOf(c, 0)
    redis.freeze()
    cleanups.push(() => redis.thaw())
    const started = performance.now()
    const inFlight = n0.publish('news', 'in flight')
    await assert.rejects(within(inFlight, DETECTION_BOUND + 1000, 'publish'), (error: unknown) => {
      assert.ok(error instanceof AdapterError)
      assert.equal(error.code, ErrorCode.AdapterPublish)
      assert.match(error.message, /may or may not have reached it/)
      return true
    })
    assert.ok(performance.now() - started <= DETECTION_BOUND)
    redis.thaw()
    await eventually(() => n0.health().status === 'ok', 'ok again', 5000)
  })

  test("on the application's own client: noticed, its publishes released; the client stays the app's", async () => {
    const redis = await ownRedis(cleanups)
    const client = createClient({ url: redis.url }) as RedisClient
    client.on('error', () => {})
    await within(client.connect(), 2000, 'client connect')
    cleanups.push(() => client.destroy())
    const prefix = `fz${prefixes++}`
    const c = await cluster(
      redis,
      {
        createAdapter: (index) =>
          index === 1
            ? createRedisAdapter({
                redis: client,
                prefix,
                heartbeatInterval: 100,
                redisTimeout: REDIS_TIMEOUT,
              })
            : createRedisAdapter({
                redis: redis.url,
                prefix,
                heartbeatInterval: 100,
                redisTimeout: REDIS_TIMEOUT,
              }),
      },
      prefix,
    )
    const n1 = wssOf(c, 1)
    const a = await c.open(0, { rooms: ['r'] })
    const b = await c.open(1, { rooms: ['r'] })
    await roomWorks(c, [a, b], 'before')

    redis.freeze()
    cleanups.push(() => redis.thaw())
    const inFlight = n1.publish('news', 'in flight')
    await assert.rejects(within(inFlight, DETECTION_BOUND + 1000, 'publish'), {
      code: ErrorCode.AdapterPublish,
    })
    assert.equal(n1.health().status, 'degraded')
    redis.thaw()
    await eventually(() => n1.health().status === 'ok', 'ok again', 5000)
    await roomWorks(c, [a, b], 'after')
    assert.equal(client.isReady, true)
    assert.equal(await client.ping(), 'PONG')
  })
})

describe('the heap while Redis is frozen', () => {
  test('20,000 broadcasts of 1 KiB during a 5 s freeze: in flight stays bounded, the rest is dropped and counted', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const redis = await ownRedis(cleanups)
    // The default redisTimeout (3 s): the cap, not the detection, bounds the first seconds.
    const c = await cluster(redis, { adapter: { maxPendingPublishes: 1000, redisTimeout: 3000 } })
    const n0 = wssOf(c, 0)
    // A member on the other node only: every broadcast publishes, and no
    // local inbox (the test client keeps what it receives) grows this heap.
    await c.open(1, { rooms: ['r'] })
    await c.settled()
    const payload = 'x'.repeat(1024)
    gc()
    const heapBefore = process.memoryUsage().heapUsed

    redis.freeze()
    cleanups.push(() => redis.thaw())
    let sent = 0
    let maxPending = 0
    let heapPeak = 0
    // 4 broadcasts a millisecond for 5 s, bounded by count and time.
    const deadline = performance.now() + 5000
    while (sent < 20_000 && performance.now() < deadline) {
      for (let i = 0; i < 20; i++) n0.to('r').send(`${sent++}${payload}`)
      maxPending = Math.max(maxPending, n0.health().publishesPending)
      if (sent % 2000 === 0) {
        gc()
        heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapBefore)
      }
      await delay(5)
    }
    const health = n0.health()
    assert.equal(health.status, 'degraded')
    assert.ok(maxPending <= 1000, `${maxPending} publishes were in flight`)
    assert.ok(health.publishesDropped > 0, 'nothing was dropped')
    assert.ok(heapPeak < 8 * 2 ** 20, `heap grew by ${(heapPeak / 2 ** 20).toFixed(1)} MiB`)
    console.log(
      `# ${sent} broadcasts; in flight at most ${maxPending}; dropped ${health.publishesDropped}; heap peak +${(heapPeak / 2 ** 20).toFixed(1)} MiB`,
    )

    redis.thaw()
    await eventually(() => n0.health().status === 'ok', 'ok again', 6000)
    await eventually(() => n0.health().publishesPending === 0, 'nothing left in flight')
  })
})
