/** Room history, recovery and offline queues over a real redis-server: across nodes, node deaths and lost streams. */
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { RoomcastServer } from '../src/index.ts'
import { connect, type TestClient } from './helpers/client.ts'
import { openProtocolClient } from './helpers/protocol-client.ts'
import { type RedisProcess, startRedis } from './helpers/redis.ts'
import { type RedisCluster, redisCluster, until } from './helpers/redis-cluster.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()
const fixture = fileURLToPath(new URL('./fixtures/history-node.ts', import.meta.url))
const root = fileURLToPath(new URL('..', import.meta.url))

let redis: RedisProcess
before(async () => {
  redis = await within(startRedis(), 8000, 'startRedis')
})
after(() => redis.kill())

const durable = {
  history: { size: 5000, ttl: 60_000 },
  recovery: { maxDisconnection: 10_000 },
  offlineQueue: { size: 3, ttl: 60_000 },
}

async function cluster(prefix: string, size = 2): Promise<RedisCluster> {
  const nodes = await redisCluster(redis.url, { size, prefix, server: durable })
  cleanups.push(() => within(nodes.close(), 5000, 'cluster close'))
  return nodes
}

function wssOf(nodes: RedisCluster, index: number): RoomcastServer {
  const wss = nodes.nodes[index]?.wss
  assert.ok(wss)
  return wss
}

async function plain(url: string): Promise<TestClient> {
  const client = await connect(url)
  cleanups.push(() => client.ws.terminate())
  return client
}

/** Waits until `count` nodes subscribe to the room's channel. */
async function subscribed(nodes: RedisCluster, room: string, count: number): Promise<void> {
  const channel = nodes.channels.room(room)
  await until(
    async () => ({ ...(await nodes.observer.pubSubNumSub([channel])) })[channel],
    (n) => n === count,
    `${count} nodes subscribed to ${room}`,
  )
}

describe('room history over Redis', () => {
  test('every node reads the same positions; a late joiner on another node gets history then live', async () => {
    const nodes = await cluster('hist-a')
    const [a, b] = [wssOf(nodes, 0), wssOf(nodes, 1)]
    b.on('/late', (conn) => conn.join('lobby', { history: 2 }))
    a.on('/member', (conn) => conn.join('lobby'))
    const member = await plain(nodes.nodes[0]?.srv.url('/member') ?? '')
    await subscribed(nodes, 'lobby', 1)
    for (const text of ['m1', 'm2', 'm3']) a.to('lobby').send(text)
    a.to('lobby').send(Buffer.from([0x1e, 1, 2]))
    // Plain clients get the bytes they always got.
    assert.deepEqual(
      [await member.next(), await member.next(), await member.next(), await member.next()],
      ['m1', 'm2', 'm3', Buffer.from([0x1e, 1, 2])],
    )
    const fromA = await a.history('lobby')
    const fromB = await b.history('lobby')
    assert.deepEqual(fromB, fromA)
    assert.deepEqual(
      fromB.messages.map((m) => m.offset),
      [1, 2, 3, 4],
    )
    const late = await plain(nodes.nodes[1]?.srv.url('/late') ?? '')
    assert.deepEqual([await late.next(), await late.next()], ['m3', Buffer.from([0x1e, 1, 2])])
    await subscribed(nodes, 'lobby', 2)
    a.to('lobby').send('m5')
    assert.equal(await late.next(), 'm5')
    await late.nothingWithin(50)
  })

  test('members joining on one node while another streams get every message from then on, once', async () => {
    const nodes = await cluster('hist-join')
    const [a, b] = [wssOf(nodes, 0), wssOf(nodes, 1)]
    b.on('/join', (conn) => conn.join('busy'))
    a.on('/join', (conn) => conn.join('busy'))
    await plain(nodes.nodes[0]?.srv.url('/join') ?? '')
    await subscribed(nodes, 'busy', 1)
    let sent = 0
    const sending = (async () => {
      const deadline = Date.now() + 10_000
      while (sent < 3000 && Date.now() < deadline) {
        for (let i = 0; i < 10; i++) a.to('busy').send(String(++sent))
        await delay(1)
      }
    })()
    const joined: Array<{ got: number[] }> = []
    for (let i = 0; i < 20; i++) {
      const client = await plain(nodes.nodes[1]?.srv.url('/join') ?? '')
      const record = { got: [] as number[] }
      client.ws.on('message', (data) => record.got.push(Number(String(data))))
      joined.push(record)
      await delay(5)
    }
    await sending
    await eventually(
      () => joined.every((r) => r.got.at(-1) === sent),
      'every member got the last',
      5000,
    )
    for (const { got } of joined) {
      const expected = Array.from({ length: got.length }, (_, i) => (got[0] ?? 0) + i)
      assert.deepEqual(got, expected)
    }
  })

  test('a lost stream (new epoch) or an expired session start fresh, with nothing replayed', async () => {
    const nodes = await cluster('hist-b')
    const [a, b] = [wssOf(nodes, 0), wssOf(nodes, 1)]
    for (const wss of [a, b]) wss.on('/app', (conn) => conn.recovered || conn.join('news'))
    const first = await openProtocolClient(nodes.nodes[0]?.srv.url('/app') ?? '')
    cleanups.push(() => first.ws.terminate())
    await eventually(() => first.positions.news !== undefined, 'join baseline')
    a.to('news').send('one')
    await first.receive(1)
    first.ws.terminate()
    await first.closed
    await delay(50)
    // The stream's position is gone, as when Redis loses it: a new epoch.
    await nodes.observer.del(['hist-b:history-meta:news', 'hist-b:history:news'])
    b.to('news').send('two')
    const again = await openProtocolClient(nodes.nodes[1]?.srv.url('/app') ?? '', first)
    cleanups.push(() => again.ws.terminate())
    assert.equal(again.recovered, false)
    await delay(50)
    assert.deepEqual(again.bodies, ['one'])
    const unknown = await openProtocolClient(nodes.nodes[1]?.srv.url('/app') ?? '', {
      ...first,
      sessionId: 'expired',
    })
    cleanups.push(() => unknown.ws.terminate())
    assert.equal(unknown.recovered, false)
  })

  test('an offline user gets what was queued on another node, in order, capped, once', async () => {
    const nodes = await cluster('hist-c')
    const [a, b] = [wssOf(nodes, 0), wssOf(nodes, 1)]
    for (const wss of [a, b]) wss.on('/inbox', () => {})
    for (const text of ['q1', 'q2', 'q3', 'q4']) a.broadcastToUsers(['bob'], text)
    await delay(50)
    const bob = await plain(nodes.nodes[1]?.srv.url('/inbox?user=bob') ?? '')
    assert.deepEqual([await bob.next(), await bob.next(), await bob.next()], ['q2', 'q3', 'q4'])
    await bob.nothingWithin(50)
    a.broadcastToUsers(['bob'], 'live')
    assert.equal(await bob.next(), 'live')
    const second = await plain(nodes.nodes[0]?.srv.url('/inbox?user=bob') ?? '')
    await second.nothingWithin(100)
  })
})

interface NodeProcess {
  child: ChildProcessWithoutNullStreams
  port: number
  exited: Promise<unknown>
}

async function spawnNode(prefix: string): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, redis.url, prefix], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const port = await within(
    new Promise<number>((resolve, reject) => {
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        const line = out.split('\n').find((each) => each.includes('"ready"'))
        if (line !== undefined)
          resolve((JSON.parse(line) as { ready: { port: number } }).ready.port)
      })
      void exited.then(() => reject(new Error(`history node exited before ready:\n${stderr}`)))
    }),
    15_000,
    'history node ready',
  )
  return { child, port, exited }
}

describe('recovery after a node dies', () => {
  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    test(`a client on a node stopped with ${how} mid-stream ends with 1..1000 once, in order`, async () => {
      const prefix = `hist-kill-${how}`
      const nodes = await cluster(prefix, 1)
      const survivor = wssOf(nodes, 0)
      survivor.on('/app', (conn) => conn.recovered || conn.join('stream'))
      const doomed = await spawnNode(prefix)
      await eventually(() => survivor.health().nodes === 2, 'the survivor knows the node')
      const client = await openProtocolClient(`ws://127.0.0.1:${doomed.port}/app`)
      cleanups.push(() => client.ws.terminate())
      await eventually(() => client.positions.stream !== undefined, 'join baseline')
      await subscribed(nodes, 'stream', 1)
      let sent = 0
      const deadline = Date.now() + 20_000
      const sending = (async () => {
        while (sent < 1000 && Date.now() < deadline) {
          for (let i = 0; i < 10 && sent < 1000; i++) survivor.to('stream').send(String(++sent))
          await delay(2)
        }
      })()
      await client.receive(300)
      doomed.child.kill(how)
      await client.closed
      const resumed = await openProtocolClient(nodes.nodes[0]?.srv.url('/app') ?? '', client)
      cleanups.push(() => resumed.ws.terminate())
      assert.equal(resumed.recovered, true)
      await sending
      await resumed.receive(1000, 15_000).catch((error: Error) => {
        const got = new Set(resumed.bodies)
        const missing = Array.from({ length: 1000 }, (_, i) => String(i + 1)).filter(
          (n) => !got.has(n),
        )
        throw new Error(
          `${error.message}; missing ${missing.slice(0, 5)}…${missing.at(-1)} (${missing.length}); sent ${sent}`,
        )
      })
      await delay(50)
      assert.deepEqual(
        resumed.bodies,
        Array.from({ length: 1000 }, (_, i) => String(i + 1)),
      )
    })
  }
})
