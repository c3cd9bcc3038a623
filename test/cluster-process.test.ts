/** Server processes talking through Redis: a broadcast across processes, then one killed with SIGKILL. */
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { decode } from '../src/adapter/wire.ts'
import type { PresenceEvent } from '../src/index.ts'
import type { RedisClient } from '../src/redis.ts'
import { watchOutput } from './helpers/child-output.ts'
import { connect, type TestClient } from './helpers/client.ts'
import { type RedisProcess, startRedis } from './helpers/redis.ts'
import { redisCluster, until } from './helpers/redis-cluster.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { eventually, within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()
const fixture = fileURLToPath(new URL('./fixtures/cluster-node.ts', import.meta.url))
const root = fileURLToPath(new URL('..', import.meta.url))

let redis: RedisProcess
before(async () => {
  redis = await within(startRedis(), 8000, 'startRedis')
})
after(() => redis.kill())

interface NodeProcess {
  child: ChildProcessWithoutNullStreams
  port: number
  nodeId: string
  /** Every JSON line it printed so far. */
  lines: Array<Record<string, unknown>>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr(): string
}

/** Spawns a server process on `prefix` and resolves once it is listening and announced. */
async function spawnNode(prefix: string): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, redis.url, prefix], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const { lines, stderr: printed } = watchOutput<Record<string, unknown>>(child)
  const ready = await within(
    new Promise<{ port: number; nodeId: string }>((resolve, reject) => {
      const poll = setInterval(() => {
        const line = lines.find((each) => 'ready' in each)
        if (line !== undefined) {
          clearInterval(poll)
          resolve(line.ready as { port: number; nodeId: string })
        }
      }, 5)
      void exited.then(({ code }) => {
        clearInterval(poll)
        reject(new Error(`cluster node exited (${code}) before ready:\n${printed()}`))
      })
    }),
    // A bound on a child's start (tsx compiling every module on a fresh clone, next to three
    // other test files on two cores), not a measured property: generous so load cannot fail it.
    15_000,
    'cluster node ready',
  )
  return { child, ...ready, lines, exited, stderr: printed }
}

/** A client of a node process, closed after the test. */
async function client(node: NodeProcess, query: string): Promise<TestClient> {
  const opened = await connect(`ws://127.0.0.1:${node.port}/?${query}`)
  cleanups.push(() => opened.ws.terminate())
  return opened
}

const presenceOf = (node: NodeProcess): PresenceEvent[] =>
  node.lines.flatMap((line) => ('presence' in line ? [line.presence as PresenceEvent] : []))

describe('server processes over Redis', () => {
  test('a broadcast crosses processes; a SIGKILLed process drops out within the timeout', async () => {
    const prefix = 'proc'
    // The test's own node: in this process, with the same heartbeat as the children.
    const local = await redisCluster(redis.url, {
      size: 1,
      prefix,
      adapter: { heartbeatInterval: 100, nodeTimeout: 400 },
      server: { requestTimeout: 2000 },
    })
    cleanups.push(() => within(local.close(), 5000, 'local node close'))
    const [a, b] = await Promise.all([spawnNode(prefix), spawnNode(prefix)])
    const wss = local.nodes[0]?.wss
    assert.ok(wss)
    await eventually(() => wss.health().nodes === 3, 'the test node knows both processes')

    const onA = await client(a, 'user=ua&room=r')
    const onB = await client(b, 'user=ub&room=r')
    // Both processes hold the room's channel before anyone broadcasts to it.
    const room = local.channels.room('r')
    await until(
      async () => ({ ...(await local.observer.pubSubNumSub([room])) })[room],
      (count) => count === 2,
      'both processes subscribed to the room',
    )

    onB.send(JSON.stringify({ type: 'broadcast', room: 'r', text: 'from B' }))
    assert.equal(await onA.next(), 'from B')
    assert.equal(await onB.next(), 'from B')
    await until(
      () => wss.presence('r'),
      (entries) => entries.length === 2,
      'the test node sees both users',
    )
    assert.deepEqual(await wss.countConnections(), {
      value: 2,
      nodes: 3,
      errors: [],
      partial: false,
    })

    // A request in flight when B dies: partial, with B in errors, not a rejection.
    const inFlight = wss.countConnections()
    const killedAt = performance.now()
    b.child.kill('SIGKILL')
    const partial = await within(inFlight, 2500, 'request in flight to the killed process')
    assert.equal(partial.value, 1)
    assert.equal(partial.nodes, 2)
    assert.equal(partial.partial, true)
    assert.deepEqual(
      partial.errors.map((e) => e.nodeId),
      [b.nodeId],
    )
    assert.deepEqual(await within(b.exited, 1000, 'B exit'), { code: null, signal: 'SIGKILL' })

    // B's presence ends on the test node and on A, within the heartbeat timeout.
    const leaveB = { type: 'leave', room: 'r', userId: 'ub' }
    const sawLeave = (events: PresenceEvent[]) => events.some((e) => isDeepStrictEqual(e, leaveB))
    const presence = local.nodes[0]?.presence ?? []
    await eventually(() => sawLeave(presence), 'the test node saw ub leave', 1500)
    assert.ok(performance.now() - killedAt < 1000, 'B outlived the heartbeat timeout')
    await eventually(() => sawLeave(presenceOf(a)), 'process A saw ub leave', 1500)
    assert.deepEqual(
      (await wss.presence('r')).map((e) => e.userId),
      ['ua'],
    )
    assert.equal(wss.health().nodes, 2)
    assert.deepEqual(await wss.countConnections(), {
      value: 1,
      nodes: 2,
      errors: [],
      partial: false,
    })

    // A closes cleanly: its clients get 1001, it says goodbye on the bus, and its process exits.
    const spy = local.observer.duplicate() as RedisClient
    spy.on('error', () => {})
    await within(spy.connect(), 2000, 'spy connect')
    cleanups.push(() => spy.destroy())
    const goodbyes: string[] = []
    await spy.subscribe(
      local.channels.nodes,
      (message: Buffer) => {
        const decoded = decode(message)
        if (decoded?.kind === 'node' && decoded.event === 'bye') goodbyes.push(decoded.origin)
      },
      true,
    )
    a.child.kill('SIGTERM')
    assert.equal((await within(onA.closed, 3000, 'client of A closed')).code, 1001)
    assert.deepEqual(await within(a.exited, 3000, 'A exit'), { code: 0, signal: null })
    await eventually(() => goodbyes.includes(a.nodeId), 'A said goodbye', 500)
    await eventually(() => wss.health().nodes === 1, 'the test node dropped A', 500)
    assert.deepEqual(presence.at(-1), { type: 'leave', room: 'r', userId: 'ua' })
    assert.equal(a.stderr(), '')
    assert.deepEqual(
      a.lines.filter((line) => 'error' in line),
      [],
    )
  })
})
