/** Faults of a three-node cluster over a real redis-server: Redis stopped and back, a node gone. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import { ClusterAdapter } from '../src/adapter/cluster.ts'
import { AdapterError, ErrorCode, type RoomcastServer } from '../src/index.ts'
import { createRedisTransport } from '../src/redis.ts'
import type { Pair } from './helpers/capture.ts'
import { ownRedis, type RedisProcess } from './helpers/redis.ts'
import { type RedisCluster, redisCluster, until } from './helpers/redis-cluster.ts'
import { recordingLogger } from './helpers/server.ts'
import { cleanupsAfterEach, leaksDuringFile } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()

// No outage may leak a rejection or an exception anywhere in the process.
const leaked = leaksDuringFile()

let prefixes = 0
async function cluster(
  redis: RedisProcess,
  options: Omit<Parameters<typeof redisCluster>[1], 'prefix'> = {},
): Promise<RedisCluster> {
  const started = await redisCluster(redis.url, { prefix: `cf${prefixes++}`, ...options })
  cleanups.push(() => within(started.close(), 5000, 'cluster close'))
  return started
}

/** The next message of each pair, as text. */
function nextOf(pairs: Pair[], ms = 1000): Promise<string[]> {
  return Promise.all(pairs.map(async (pair) => (await pair.client.next(ms)).toString()))
}

/** Empties a client's queue: what arrived before now is not what the next step checks. */
async function drain(pair: Pair): Promise<void> {
  for (;;) {
    const message = await pair.client.next(20).catch(() => undefined)
    if (message === undefined) return
  }
}

/** Counts what a client receives without queueing it for `next()`. */
function counter(pair: Pair): { count: number } {
  const seen = { count: 0 }
  pair.client.ws.on('message', () => seen.count++)
  return seen
}

const nodeOf = (c: RedisCluster, index: number): RoomcastServer => {
  const node = c.nodes[index]
  assert.ok(node, `no node ${index}`)
  return node.wss
}

describe('Redis stopped and started again', () => {
  test('local delivery goes on, health is degraded, errors are events; back, every room works', async () => {
    const redis = await ownRedis(cleanups)
    const c = await cluster(redis)
    const [n0, n1, n2] = [0, 1, 2].map((i) => nodeOf(c, i)) as [
      RoomcastServer,
      RoomcastServer,
      RoomcastServer,
    ]
    const a1 = await c.open(0, { user: 'ua', rooms: ['before'] })
    const b1 = await c.open(1, { user: 'ub', rooms: ['before'] })
    const c1 = await c.open(2, { user: 'uc', rooms: ['before'] })
    const b2 = await c.open(1, { user: 'ub2', rooms: ['before'] })
    a1.conn.join('gone')
    // Traffic: node 0 broadcasts to a room with members on every node, every 2 ms, throughout.
    const t = [
      await c.open(0, { rooms: ['traffic'] }),
      await c.open(1, { rooms: ['traffic'] }),
      await c.open(2, { rooms: ['traffic'] }),
    ]
    const traffic = t.map(counter)
    await c.settled()
    let sent = 0
    const pump = setInterval(() => n0.to('traffic').send(String(sent++)), 2)
    cleanups.push(() => clearInterval(pump))
    await eventually(() => traffic.every((seen) => seen.count > 10), 'traffic flows everywhere')

    await within(redis.stop(), 5000, 'redis stop')
    for (const [i, node] of c.nodes.entries()) {
      await eventually(() => node.wss.health().status === 'degraded', `node ${i} degraded`)
      const health = node.wss.health()
      assert.match(health.reason ?? '', /^message bus down: /)
      assert.equal(health.connections, i === 1 ? 3 : 2)
      assert.equal(health.closing, false)
      await eventually(() => node.errors.length > 0, `node ${i} emitted an error`)
    }
    // Once per outage, not once per lost message, however much traffic fails.
    const failuresBefore = n0.health().publishFailures
    await eventually(() => n0.health().publishFailures > failuresBefore + 10, 'failures counted')
    for (const node of c.nodes) {
      assert.equal(node.errors.length, 1)
      const [error] = node.errors
      assert.ok(error instanceof AdapterError, `not an AdapterError: ${error}`)
      assert.ok(
        error.code === ErrorCode.AdapterDown || error.code === ErrorCode.AdapterPublish,
        error.code,
      )
    }
    // Traffic still reaches the local member on node 0.
    const localBefore = traffic[0]?.count ?? 0
    await eventually(() => (traffic[0]?.count ?? 0) > localBefore + 10, 'local traffic flows')

    // Local delivery on every node.
    assert.equal(n0.to('before').send('local 0'), 1)
    assert.equal(n1.to('before').send('local 1'), 2)
    assert.equal(n2.to('before').send('local 2'), 1)
    assert.deepEqual(await nextOf([a1, b1, c1]), ['local 0', 'local 1', 'local 2'])

    // Publishing fails fast, with a code, and is counted.
    const failures = n1.health().publishFailures
    const started = performance.now()
    await assert.rejects(n1.publish('news', { down: true }), (error: unknown) => {
      assert.ok(error instanceof AdapterError)
      assert.equal(error.code, ErrorCode.AdapterDown)
      return true
    })
    assert.ok(performance.now() - started < 100, 'publish did not fail fast')
    n1.broadcastToUsers(['ua'], 'lost')
    assert.equal(n1.health().publishFailures, failures + 2)

    // Requests answer at once with this node's part, the others as errors.
    const count = await within(n2.countConnections(), 500, 'countConnections while down')
    assert.equal(count.value, 2)
    assert.equal(count.partial, true)
    assert.deepEqual(count.errors.map((e) => e.nodeId).sort(), [n0.nodeId, n1.nodeId].sort())

    // Joined during the outage: subscribed when Redis is back. Left during it: let go.
    a1.conn.join('during')
    c1.conn.join('during')
    a1.conn.leave('gone')
    // ub goes fully offline while nobody can hear it.
    b2.client.close()
    await eventually(() => n1.getConnectionCount() === 2, 'b2 closed')

    await within(redis.start(), 5000, 'redis start')
    for (const [i, node] of c.nodes.entries()) {
      await eventually(() => node.wss.health().status === 'ok', `node ${i} healthy`, 3000)
    }
    await eventually(() => c.nodes.every((node) => node.wss.health().nodes === 3), 'nodes back')
    await c.settled(3000)
    clearInterval(pump)
    for (const node of c.nodes) assert.equal(node.errors.length, 1)
    assert.equal(n0.health().reason, undefined)
    assert.ok(n0.health().publishFailures > 10)

    // Rooms joined before, during and after the outage reach every node again.
    b1.conn.join('after')
    await c.settled()
    await Promise.all([a1, b1, c1].map(drain))
    n0.to('before').send('before')
    assert.deepEqual(await nextOf([a1, b1, c1]), ['before', 'before', 'before'])
    n1.to('during').send('during')
    assert.deepEqual(await nextOf([a1, c1]), ['during', 'during'])
    n2.to('after').send('after')
    assert.deepEqual(await nextOf([b1]), ['after'])
    await Promise.all([a1, b1, c1].map((pair) => pair.client.nothingWithin(50)))

    // Users, conn channels and presence are whole again on every node.
    n2.broadcastToUsers(['ua'], 'to ua')
    assert.deepEqual(await nextOf([a1]), ['to ua'])
    n0.broadcastToClient({ clientId: b1.conn.id, data: 'to b1' })
    assert.deepEqual(await nextOf([b1]), ['to b1'])
    for (const node of c.nodes) {
      await until(
        async () => (await node.wss.presence('during')).map((e) => e.userId).sort(),
        (users) => isDeepStrictEqual(users, ['ua', 'uc']),
        'presence of a room joined during the outage',
      )
    }
    for (const node of c.nodes) {
      await until(
        async () => (await node.wss.presence('before')).map((e) => e.userId).sort(),
        (users) => isDeepStrictEqual(users, ['ua', 'ub', 'uc']),
        'presence without the user who left during the outage',
      )
      const ub2 = node.presence.filter((e) => e.userId === 'ub2')
      assert.deepEqual(ub2, [
        { type: 'join', room: 'before', userId: 'ub2' },
        { type: 'leave', room: 'before', userId: 'ub2' },
      ])
    }
    assert.deepEqual((await n1.countConnections()).value, 6)
    assert.deepEqual(leaked, [])
  })

  test('a server without an error listener logs the outage and keeps serving', async () => {
    const redis = await ownRedis(cleanups)
    const logger = recordingLogger()
    const c = await cluster(redis, { size: 2, errorListener: false, server: { logger } })
    const a1 = await c.open(0, { rooms: ['r'] })
    const b1 = await c.open(1, { rooms: ['r'] })
    await c.settled()

    await within(redis.stop(), 5000, 'redis stop')
    await eventually(() => nodeOf(c, 0).health().status === 'degraded', 'degraded')
    nodeOf(c, 0).to('r').send('local only')
    assert.deepEqual(await nextOf([a1]), ['local only'])
    await b1.client.nothingWithin(50)
    await eventually(
      () => logger.entries.filter((e) => e.message === 'roomcast: adapter error').length >= 2,
      'each node logged the outage',
    )
    const logged = logger.entries.filter((e) => e.message === 'roomcast: adapter error')
    for (const entry of logged) {
      assert.equal(entry.level, 'error')
      assert.ok(entry.details[0] instanceof AdapterError)
    }
    // A rejected publish is the caller's to handle, never a crash.
    await assert.rejects(nodeOf(c, 1).publish('x', 1), { code: ErrorCode.AdapterDown })
    await delay(20)
    assert.deepEqual(leaked, [])
    // Closing during the outage is bounded too (the cleanup closes it again: idempotent).
    await within(c.close(), 3000, 'close during the outage')
  })
})

describe('Redis bounced', () => {
  const bounces = {
    'restart()': (redis: RedisProcess) => redis.restart(),
    'kill() then start()': async (redis: RedisProcess) => {
      await redis.kill()
      await redis.start()
    },
  }
  for (const [name, bounce] of Object.entries(bounces)) {
    test(`${name}: a fresh, empty Redis gets every channel and node back`, async () => {
      const redis = await ownRedis(cleanups)
      const c = await cluster(redis, { size: 2 })
      const a1 = await c.open(0, { user: 'ua', rooms: ['r'] })
      const b1 = await c.open(1, { user: 'ub', rooms: ['r'] })
      await c.settled()
      await within(bounce(redis), 5000, name)
      for (const [i, node] of c.nodes.entries()) {
        await eventually(() => node.wss.health().status === 'ok', `node ${i} healthy`, 3000)
      }
      await c.settled(3000)
      await eventually(() => c.nodes.every((node) => node.wss.health().nodes === 2), 'nodes back')
      nodeOf(c, 0).to('r').send('after bounce')
      assert.deepEqual(await nextOf([a1, b1]), ['after bounce', 'after bounce'])
      nodeOf(c, 1).broadcastToUsers(['ua'], 'to ua')
      assert.deepEqual(await nextOf([a1]), ['to ua'])
      assert.deepEqual(await nodeOf(c, 1).countConnections(), {
        value: 2,
        nodes: 2,
        errors: [],
        partial: false,
      })
      assert.deepEqual(leaked, [])
    })
  }
})

describe('a node that is gone', () => {
  test('requests to it are partial with it in errors; after the timeout it is dropped', async () => {
    const redis = await ownRedis(cleanups)
    const prefix = `cf${prefixes++}`
    let doomed: Awaited<ReturnType<typeof createRedisTransport>> | undefined
    const c = await redisCluster(redis.url, {
      prefix,
      adapter: { nodeTimeout: 400 },
      server: { requestTimeout: 300 },
      // Node 2's transport is kept, so the test can cut it as a dead process would: no goodbye.
      createAdapter: (index) => {
        if (index !== 2) return undefined
        return createRedisTransport({ url: redis.url }).then((transport) => {
          doomed = transport
          const options = { prefix, heartbeatInterval: 100, nodeTimeout: 400 }
          return new ClusterAdapter({ transport, ownsTransport: true, ...options })
        })
      },
    })
    cleanups.push(() => within(c.close(), 5000, 'cluster close'))
    const [n0, n1, n2] = [0, 1, 2].map((i) => nodeOf(c, i)) as [
      RoomcastServer,
      RoomcastServer,
      RoomcastServer,
    ]
    await c.open(0, { user: 'u0', rooms: ['room'] })
    await c.open(1, { user: 'u1', rooms: ['room'] })
    await c.open(2, { user: 'u2', rooms: ['room'] })
    await c.open(2, { user: 'u2' })
    // u1 is also on node 2: losing node 2 lowers its count but it stays online.
    await c.open(2, { user: 'u1', rooms: ['room'] })
    await c.settled()
    await until(
      () => n0.presence('room'),
      (entries) => entries.length === 3,
      'presence of all three users',
    )
    assert.equal((await n0.countConnections()).value, 5)

    assert.ok(doomed)
    await within(doomed.close(), 2000, 'cut node 2 off')
    const reply = await within(n0.countConnections(), 1000, 'countConnections')
    assert.equal(reply.value, 2)
    assert.equal(reply.nodes, 2)
    assert.equal(reply.partial, true)
    assert.deepEqual(
      reply.errors.map((e) => e.nodeId),
      [n2.nodeId],
    )
    assert.match(reply.errors[0]?.error ?? '', /no answer within 300 ms|node left the cluster/)

    // Dropped within the timeout: its presence ends, requests no longer wait for it.
    const leave = { type: 'leave', room: 'room', userId: 'u2' }
    for (const [i, wss] of [n0, n1].entries()) {
      const node = c.nodes[i]
      await eventually(() => wss.health().nodes === 2, `node ${i} dropped node 2`, 1000)
      await eventually(
        () => node?.presence.some((e) => isDeepStrictEqual(e, leave)) === true,
        `node ${i} saw u2 leave`,
      )
      const entries = await wss.presence('room')
      assert.deepEqual(
        entries.sort((x, y) => (x.userId < y.userId ? -1 : 1)),
        [
          { userId: 'u0', nodes: { [n0.nodeId]: 1 } },
          { userId: 'u1', nodes: { [n1.nodeId]: 1 } },
        ],
      )
      assert.equal(node?.presence.filter((e) => e.type === 'leave').length, 1)
    }
    const started = performance.now()
    const after = await n1.countConnections()
    assert.deepEqual(after, { value: 2, nodes: 2, errors: [], partial: false })
    assert.ok(performance.now() - started < 100, 'a request still waited for the dropped node')
    assert.deepEqual(leaked, [])
  })
})
