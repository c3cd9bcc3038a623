/** Three roomcast servers in one process over one real redis-server: broadcasts, queries, presence. */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { isDeepStrictEqual } from 'node:util'
import { createClient } from 'redis'
import { defineSubscriber, WebSocketService } from '../src/index.ts'
import { createEmitter, createRedisAdapter, type RedisClient } from '../src/redis.ts'
import type { Pair } from './helpers/capture.ts'
import { closedOf } from './helpers/client.ts'
import { type RedisProcess, startRedis } from './helpers/redis.ts'
import { type RedisCluster, redisCluster, until } from './helpers/redis-cluster.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()
let redis: RedisProcess
let prefixes = 0

before(async () => {
  redis = await within(startRedis(), 8000, 'startRedis')
})
after(() => redis.kill())

/** A fresh cluster on its own prefix, closed after the test. */
async function cluster(size = 3): Promise<RedisCluster> {
  const started = await redisCluster(redis.url, { size, prefix: `cr${prefixes++}` })
  cleanups.push(() => within(started.close(), 5000, 'cluster close'))
  return started
}

/** a1 (u1) in "a" on node 0; b1 (u2) in "a" and "b" on node 1; c1 (u1) in "b" and c2 on node 2. */
async function spread(c: RedisCluster) {
  const a1 = await c.open(0, { user: 'u1', rooms: ['a'] })
  const b1 = await c.open(1, { user: 'u2', rooms: ['a', 'b'] })
  const c1 = await c.open(2, { user: 'u1', rooms: ['b'] })
  const c2 = await c.open(2)
  await c.settled()
  return { c, a1, b1, c1, c2, wss: c.nodes.map((node) => node.wss) }
}

/** Each pair's next message, or `null` if none came within `ms`. */
function nextOf(pairs: Pair[], ms = 1000): Promise<Array<string | null>> {
  return Promise.all(
    pairs.map((pair) =>
      pair.client.next(ms).then(
        (message) => message.toString(),
        () => null,
      ),
    ),
  )
}

/** Every pair in `got` receives `message`, and then nothing more; the others nothing at all. */
async function deliveredOnce(got: Pair[], others: Pair[], message: string): Promise<void> {
  assert.deepEqual(
    await nextOf(got),
    got.map(() => message),
  )
  await Promise.all([...got, ...others].map((pair) => pair.client.nothingWithin(40)))
}

describe('broadcasts across three nodes over Redis', () => {
  // One cluster for these tests: they only send, and each checks that nothing else arrived.
  let shared: Awaited<ReturnType<typeof spread>>
  before(async () => {
    shared = await spread(await redisCluster(redis.url, { prefix: `cr${prefixes++}` }))
  })
  after(() => within(shared.c.close(), 5000, 'cluster close'))

  test('a room broadcast reaches its members on every node exactly once', async () => {
    const { a1, b1, c1, c2, wss } = shared
    // From a node with a member, and from a node with none.
    assert.equal(wss[0]?.to('a').send('to a'), 1)
    await deliveredOnce([a1, b1], [c1, c2], 'to a')
    assert.equal(wss[2]?.broadcastToRoom('a', 'to a from 2'), 0)
    await deliveredOnce([a1, b1], [c1, c2], 'to a from 2')
    // b1 is in both rooms: to('a', 'b') reaches it once.
    wss[0]?.to('a', 'b').send('to a+b')
    await deliveredOnce([a1, b1, c1], [c2], 'to a+b')
  })

  test('except skips a connection on another node, and the members of a room everywhere', async () => {
    const { a1, b1, c1, c2, wss } = shared
    wss[0]?.to('a', 'b').except(b1.conn).send('not b1')
    await deliveredOnce([a1, c1], [b1, c2], 'not b1')
    wss[2]?.to('a').except(a1.conn.id).send('not a1')
    await deliveredOnce([b1], [a1, c1, c2], 'not a1')
    wss[1]?.except('b').send('not in b')
    await deliveredOnce([a1, c2], [b1, c1], 'not in b')
  })

  test('broadcast and broadcastJson reach every connection on every node', async () => {
    const { a1, b1, c1, c2, wss } = shared
    assert.equal(wss[1]?.broadcast('everyone'), 1)
    await deliveredOnce([a1, b1, c1, c2], [], 'everyone')
    wss[1]?.broadcastJson({ all: true }, c2.conn.id)
    await deliveredOnce([a1, b1, c1], [c2], '{"all":true}')
    wss[0]?.broadcastToAllClients({ data: { seed: 4 }, excludeClientId: a1.conn.id })
    await deliveredOnce([b1, c1, c2], [a1], '{"seed":4}')
  })

  test('broadcastToUsers reaches every connection of a user, on whichever node', async () => {
    const { a1, b1, c1, c2, wss } = shared
    assert.equal(wss[1]?.broadcastToUsers(['u1'], { to: 'u1' }), 0)
    await deliveredOnce([a1, c1], [b1, c2], '{"to":"u1"}')
    wss[0]?.broadcastToUsers(['u1', 'u2'], 'both')
    await deliveredOnce([a1, b1, c1], [c2], 'both')
  })

  test('broadcastToClient reaches one connection on another node', async () => {
    const { a1, b1, c1, c2, wss } = shared
    assert.equal(wss[0]?.broadcastToClient({ clientId: c2.conn.id, data: { hi: 'c2' } }), 0)
    await deliveredOnce([c2], [a1, b1, c1], '{"hi":"c2"}')
    assert.equal(wss[0]?.broadcastToClient({ clientId: a1.conn.id, data: 'local' }), 1)
    await deliveredOnce([a1], [b1, c1, c2], 'local')
    // An id nobody holds reaches nobody, anywhere.
    wss[1]?.broadcastToClient({ clientId: 'no-such-connection', data: 'lost' })
    await deliveredOnce([], [a1, b1, c1, c2], 'lost')
  })

  test('sendToRooms reaches the members of any of the rooms once', async () => {
    const { a1, b1, c1, c2, wss } = shared
    wss[2]?.sendToRooms(['a', 'b'], { rooms: 2 })
    await deliveredOnce([a1, b1, c1], [c2], '{"rooms":2}')
  })

  test("seed 004's WebSocketService reaches every node", async () => {
    const { a1, b1, c1, c2, wss } = shared
    assert.ok(wss[1])
    const service = new WebSocketService({ webSocketServer: wss[1] })
    assert.equal(await service.sendSystemMessage('maintenance', { at: 1 }), 1)
    const text = '{"type":"system","action":"maintenance","data":{"at":1}}'
    await deliveredOnce([a1, b1, c1, c2], [], text)
    await service.sendToRooms(['b'], { type: 'chat', action: 'message', data: 'hi b' })
    await deliveredOnce([b1, c1], [a1, c2], '{"type":"chat","action":"message","data":"hi b"}')
  })

  test('500 messages to a room from one node arrive in order on every node', async () => {
    const c = await cluster()
    const members = [
      await c.open(0, { rooms: ['ord'] }),
      await c.open(1, { rooms: ['ord'] }),
      await c.open(2, { rooms: ['ord'] }),
    ]
    await c.settled()
    const count = 500
    for (let i = 0; i < count; i++) c.nodes[0]?.wss.to('ord').send(String(i))
    const expected = Array.from({ length: count }, (_, i) => String(i))
    const received = await Promise.all(
      members.map(async ({ client }) => {
        const got: string[] = []
        for (let i = 0; i < count; i++) got.push((await client.next(2000)).toString())
        return got
      }),
    )
    for (const got of received) assert.deepEqual(got, expected)
  })
})

describe('interest-based routing', () => {
  test('a broadcast to a room that lives on one node goes only to that node', async () => {
    const c = await cluster()
    const b1 = await c.open(1, { rooms: ['solo'] })
    const a1 = await c.open(0)
    const c1 = await c.open(2)
    await c.settled()

    // Only node 1 holds the room's channel.
    const room = c.channels.room('solo')
    assert.deepEqual(await c.observer.pubSubChannels(c.channels.room('*')), [room])
    assert.deepEqual({ ...(await c.observer.pubSubNumSub([room])) }, { [room]: 1 })

    // Everything the cluster publishes for the broadcast, as Redis sees it.
    const spy = c.observer.duplicate() as RedisClient
    spy.on('error', () => {})
    await within(spy.connect(), 2000, 'spy connect')
    cleanups.push(() => spy.destroy())
    const seen: Array<{ channel: string; bytes: number }> = []
    await spy.pSubscribe(
      `${c.channels.prefix}:*`,
      (message: Buffer, channel: Buffer) =>
        seen.push({ channel: channel.toString(), bytes: message.length }),
      true,
    )

    c.nodes[0]?.wss.to('solo').send('only node 1')
    await deliveredOnce([b1], [a1, c1], 'only node 1')
    // Heartbeats go on the nodes channel meanwhile; the broadcast is one message on one channel.
    const published = seen.filter((m) => m.channel !== c.channels.nodes)
    assert.deepEqual(
      published.map((m) => m.channel),
      [room],
    )

    // The last member leaves: node 1 lets go of the channel.
    b1.conn.leave('solo')
    await c.settled()
    assert.deepEqual(await c.observer.pubSubChannels(c.channels.room('*')), [])
  })

  test('a burst of joins on one node settles into exactly the channels it needs', async () => {
    const c = await cluster()
    const a1 = await c.open(0)
    for (let i = 0; i < 50; i++) a1.conn.join(`burst-${i}`)
    for (let i = 0; i < 50; i += 2) a1.conn.leave(`burst-${i}`)
    await c.settled()
    const held = await c.observer.pubSubChannels(c.channels.room('burst-*'))
    assert.equal(held.length, 25)
    c.nodes[2]?.wss.to('burst-49').send('odd room')
    assert.equal((await a1.client.next()).toString(), 'odd room')
  })
})

describe('cluster-wide queries and actions', () => {
  async function queryCluster() {
    const opened = await spread(await cluster())
    opened.b1.conn.metadata.role = 'mod'
    const ids = (infos: Array<{ id: string }>) => infos.map((info) => info.id).sort()
    return { ...opened, ids }
  }

  test('counts, rooms and connections merged over every node', async () => {
    const { c, a1, b1, c1, c2, ids, wss } = await queryCluster()
    const complete = { nodes: 3, errors: [], partial: false }
    assert.deepEqual(await wss[0]?.countConnections(), { value: 4, ...complete })
    const rooms = await wss[1]?.fetchRooms()
    assert.deepEqual({ ...rooms, value: rooms?.value.sort() }, { value: ['a', 'b'], ...complete })

    const members = await wss[2]?.fetchRoomMembers('a')
    assert.equal(members?.partial, false)
    const byId = new Map(members?.value.map((info) => [info.id, info]))
    assert.deepEqual(byId.get(b1.conn.id), {
      id: b1.conn.id,
      nodeId: c.nodes[1]?.wss.nodeId,
      userId: 'u2',
      metadata: { role: 'mod' },
      rooms: ['a', 'b'],
    })
    assert.equal(byId.get(a1.conn.id)?.nodeId, c.nodes[0]?.wss.nodeId)
    assert.deepEqual(ids(members?.value ?? []), [a1.conn.id, b1.conn.id].sort())

    const u1 = await wss[1]?.fetchUserConnections('u1')
    assert.deepEqual(ids(u1?.value ?? []), [a1.conn.id, c1.conn.id].sort())
    const bButC1 = await wss[0]?.fetchConnections({ rooms: ['b'], except: [c1.conn.id] })
    assert.deepEqual(ids(bButC1?.value ?? []), [b1.conn.id])
    const all = await wss[0]?.fetchConnections()
    assert.deepEqual(ids(all?.value ?? []), [a1.conn.id, b1.conn.id, c1.conn.id, c2.conn.id].sort())
    const byIds = await wss[0]?.fetchConnections({ ids: [c2.conn.id] })
    assert.deepEqual(ids(byIds?.value ?? []), [c2.conn.id])
  })

  test('joinRooms and leaveRooms act on connections wherever they are', async () => {
    const { c, a1, b1, c1, c2, ids, wss } = await queryCluster()
    const joined = await wss[1]?.joinRooms({ users: ['u1'] }, ['x', 'y'])
    assert.deepEqual(joined, { value: 2, nodes: 3, errors: [], partial: false })
    assert.deepEqual(a1.conn.getRooms().sort(), ['a', 'x', 'y'])
    assert.deepEqual(c1.conn.getRooms().sort(), ['b', 'x', 'y'])
    await c.settled()
    wss[1]?.to('x').send('joined x')
    await deliveredOnce([a1, c1], [b1, c2], 'joined x')

    const left = await wss[0]?.leaveRooms({ rooms: ['x'], except: [a1.conn.id] }, ['x', 'y'])
    assert.equal(left?.value, 1)
    assert.deepEqual(c1.conn.getRooms(), ['b'])
    const inX = await wss[2]?.fetchRoomMembers('x')
    assert.deepEqual(ids(inX?.value ?? []), [a1.conn.id])
  })

  test('disconnect and disconnectUser close connections on other nodes', async () => {
    const { a1, b1, c1, c2, wss } = await queryCluster()
    const one = await wss[0]?.disconnect({ ids: [b1.conn.id] }, 4000, 'moved')
    assert.deepEqual(one, { value: 1, nodes: 3, errors: [], partial: false })
    assert.deepEqual(await closedOf(b1.client), { code: 4000, reason: 'moved' })

    const user = await wss[1]?.disconnectUser('u1')
    assert.equal(user?.value, 2)
    assert.equal((await closedOf(a1.client)).code, 1000)
    assert.equal((await closedOf(c1.client)).code, 1000)
    assert.equal(c2.client.ws.readyState, c2.client.ws.OPEN)
    await eventually(() => wss[0]?.getConnectionCount() === 0, 'a1 gone from node 0')
    assert.equal((await wss[0]?.countConnections())?.value, 1)
  })
})

describe('presence across nodes', () => {
  test('a user is online once while connected anywhere, and leaves with the last connection', async () => {
    const c = await cluster()
    const u1a = await c.open(0, { user: 'u1', rooms: ['p'] })
    const u1b = await c.open(0, { user: 'u1', rooms: ['p'] })
    const u1c = await c.open(1, { user: 'u1', rooms: ['p'] })
    await c.open(2, { user: 'u2', rooms: ['p'] })
    const [n0, n1, n2] = c.nodes.map((node) => node.wss.nodeId)
    const joins = [
      { type: 'join', room: 'p', userId: 'u1' },
      { type: 'join', room: 'p', userId: 'u2' },
    ]
    const sorted = <T extends { userId: string }>(events: T[]) =>
      [...events].sort((x, y) => (x.userId < y.userId ? -1 : 1))
    await eventually(
      () => c.nodes.every((node) => node.presence.length === 2),
      'every node saw both joins',
    )
    for (const node of c.nodes) assert.deepEqual(sorted(node.presence), joins)
    const expected = [
      { userId: 'u1', nodes: { [`${n0}`]: 2, [`${n1}`]: 1 } },
      { userId: 'u2', nodes: { [`${n2}`]: 1 } },
    ]
    for (const node of c.nodes) {
      await until(
        async () => sorted(await node.wss.presence('p')),
        (view) => isDeepStrictEqual(view, expected),
        'every connection counted on every node',
      )
    }

    // Connections go one by one; u1 stays online until the last.
    u1a.client.close()
    u1c.conn.leave('p')
    const partial = [
      { userId: 'u1', nodes: { [`${n0}`]: 1 } },
      { userId: 'u2', nodes: { [`${n2}`]: 1 } },
    ]
    for (const node of c.nodes) {
      await until(
        async () => sorted(await node.wss.presence('p')),
        (view) => isDeepStrictEqual(view, partial),
        'u1 down to one connection on node 0',
      )
    }
    for (const node of c.nodes) assert.equal(node.presence.length, 2)

    u1b.client.close()
    const leave = { type: 'leave', room: 'p', userId: 'u1' }
    await eventually(
      () => c.nodes.every((node) => node.presence.length === 3),
      'every node saw u1 leave',
    )
    for (const node of c.nodes) assert.deepEqual(node.presence[2], leave)
    for (const node of c.nodes) {
      assert.deepEqual(await node.wss.presence('p'), [{ userId: 'u2', nodes: { [`${n2}`]: 1 } }])
    }
  })
})

describe('custom messages and the emitter', () => {
  test('publish reaches a subscriber on every node once, the publisher included', async () => {
    const c = await cluster()
    const got = c.nodes.map(() => [] as unknown[])
    c.nodes.forEach((node, i) => {
      node.wss.subscribe(
        defineSubscriber({
          name: 'news',
          channel: 'news',
          handle: ({ message }) => void got[i]?.push(message),
        }),
      )
    })
    await c.nodes[1]?.wss.publish('news', { n: 1 })
    await c.nodes[2]?.wss.publish('other', { n: 2 })
    await eventually(() => got.every((list) => list.length >= 1), 'every node got the news')
    await delay(40)
    assert.deepEqual(got, [[{ n: 1 }], [{ n: 1 }], [{ n: 1 }]])
  })

  test('an emitter with no server reaches rooms, users, clients and everyone on every node', async () => {
    const c = await cluster()
    const a1 = await c.open(0, { user: 'u1', rooms: ['a'] })
    const b1 = await c.open(1, { user: 'u2', rooms: ['a'] })
    const c1 = await c.open(2, { user: 'u1' })
    await c.settled()
    const emitter = await within(
      createEmitter({ redis: redis.url, prefix: c.channels.prefix }),
      3000,
      'createEmitter',
    )
    cleanups.push(() => emitter.close())

    await emitter.to('a').json({ room: 'a' })
    await deliveredOnce([a1, b1], [c1], '{"room":"a"}')
    await emitter.to('a').except(b1.conn.id).send('a but b1')
    await deliveredOnce([a1], [b1, c1], 'a but b1')
    await emitter.toUsers('u1').send('u1 only')
    await deliveredOnce([a1, c1], [b1], 'u1 only')
    await emitter.toClients(b1.conn.id).send('b1 only')
    await deliveredOnce([b1], [a1, c1], 'b1 only')
    await emitter.broadcast('all of you')
    await deliveredOnce([a1, b1, c1], [], 'all of you')

    const got = c.nodes.map(() => [] as unknown[])
    c.nodes.forEach((node, i) => {
      node.wss.subscribe(
        defineSubscriber({
          name: 'jobs',
          channel: 'jobs',
          handle: ({ message }) => void got[i]?.push(message),
        }),
      )
    })
    await emitter.publish('jobs', { done: true })
    await eventually(() => got.every((list) => list.length >= 1), 'every node got the job message')
    await delay(40)
    assert.deepEqual(got, [[{ done: true }], [{ done: true }], [{ done: true }]])
  })
})

describe("a node on the application's own Redis client", () => {
  test('works in the cluster and leaves the client open, with its listeners as they were', async () => {
    const client = createClient({ url: redis.url }) as RedisClient
    client.on('error', () => {})
    await within(client.connect(), 2000, 'client connect')
    cleanups.push(() => client.destroy())
    const listeners = () => client.eventNames().map((name) => [name, client.listenerCount(name)])
    const before = listeners()

    const prefix = `cr${prefixes++}`
    const c = await redisCluster(redis.url, {
      size: 2,
      prefix,
      createAdapter: (index) =>
        index === 1
          ? createRedisAdapter({ redis: client, prefix, heartbeatInterval: 100 })
          : undefined,
    })
    cleanups.push(() => within(c.close(), 5000, 'cluster close'))
    const a1 = await c.open(0, { rooms: ['r'] })
    const b1 = await c.open(1, { rooms: ['r'] })
    await c.settled()
    c.nodes[1]?.wss.to('r').send('from the app client')
    await deliveredOnce([a1, b1], [], 'from the app client')

    await within(c.close(), 5000, 'cluster close')
    assert.equal(client.isReady, true)
    assert.equal(await client.ping(), 'PONG')
    assert.deepEqual(listeners(), before)
  })
})
