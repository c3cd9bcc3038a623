/** wss.closeOnSignals(): options, listeners added and let go, and server processes shut down by real signals. */
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { ErrorCode, RoomcastError, type RoomcastServer } from '../src/index.ts'
import { watchOutput } from './helpers/child-output.ts'
import { connect, handshakeOutcome, type TestClient } from './helpers/client.ts'
import { type RedisProcess, startRedis } from './helpers/redis.ts'
import { redisCluster } from './helpers/redis-cluster.ts'
import { refused } from './helpers/refused.ts'
import { cleanupsAfterEach, serverFixture } from './helpers/teardown.ts'
import { eventually, within } from './helpers/timeout.ts'

const { open, serve } = serverFixture()
const cleanups = cleanupsAfterEach()
const fixture = fileURLToPath(new URL('./fixtures/shutdown-node.ts', import.meta.url))
const root = fileURLToPath(new URL('..', import.meta.url))
const RESTART_REASON = /^Server restarting; retry in \d+ ms$/
const echo = (wss: RoomcastServer) => wss.on('/', () => {})
/** Not one the test runner or the inspector uses: emitted by hand, never really sent. */
const SIGNAL = 'SIGUSR2'

type Line = Record<string, unknown>
interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  at: number
}

interface NodeProcess {
  child: ChildProcessWithoutNullStreams
  port: number
  nodeId: string
  /** Every JSON line it printed so far. */
  lines: Line[]
  exited: Promise<Exit>
  stderr(): string
}

/** Spawns the fixture with `config`; resolves once it listens. Killed after the test if still up. */
async function spawnNode(config: Record<string, unknown>): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(config)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  )
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const { lines, stderr: printed } = watchOutput<Line>(child)
  const ready = await within(
    Promise.race([
      eventually(() => lines.some((line) => 'ready' in line), 'ready line', 15_000),
      exited.then(({ code }) => {
        throw new Error(`shutdown node exited (${code}) before ready:\n${printed()}`)
      }),
    ]),
    // A bound on a child's start (tsx compiling on a loaded machine), not a measured property.
    15_000,
    'shutdown node ready',
  ).then(() => lines.find((line) => 'ready' in line)?.ready as { port: number; nodeId: string })
  return { child, ...ready, lines, exited, stderr: printed }
}

/** `count` clients of `node`, opened one after the other (the order the server drains them in). */
async function clientsOf(node: NodeProcess, count: number): Promise<TestClient[]> {
  const opened: TestClient[] = []
  cleanups.push(() => {
    for (const client of opened) client.ws.terminate()
  })
  for (let i = 0; i < count; i++) opened.push(await connect(`ws://127.0.0.1:${node.port}/`))
  return opened
}

const timedClose = (client: TestClient) =>
  client.closed.then((closed) => ({ ...closed, at: performance.now() }))

/** Times split into runs: a gap over `gap` ms starts the next one. */
function runsOf(times: number[], gap: number): number[][] {
  const runs: number[][] = []
  for (const time of [...times].sort((a, b) => a - b)) {
    const run = runs.at(-1)
    if (run !== undefined && time - (run.at(-1) as number) <= gap) run.push(time)
    else runs.push([time])
  }
  return runs
}

const logs = (node: NodeProcess) =>
  node.lines.flatMap((line) => ('log' in line ? [line.log as [string, string]] : []))

/** What the event loop still held when it ran empty, but the child's own stdio. */
const leftAtExit = (node: NodeProcess) =>
  (node.lines.find((line) => 'beforeExit' in line)?.beforeExit as string[] | undefined)?.filter(
    (kind) => kind !== 'PipeWrap' && kind !== 'TTYWrap',
  )

describe('closeOnSignals() options', () => {
  test('unknown keys and bad values are refused before any listener is added', async () => {
    const { wss } = await serve(echo)
    const listeners = process.listenerCount('SIGTERM') + process.listenerCount('SIGINT')
    const cases: Array<[unknown, string]> = [
      [
        { signal: ['SIGTERM'] },
        'closeOnSignals(): Unknown option "signal": did you mean "signals"?',
      ],
      [{ timout: 5 }, 'closeOnSignals(): Unknown option "timout": did you mean "timeout"?'],
      [{ drain: { size: 5 } }, 'closeOnSignals(): Unknown option "drain.size"'],
      [
        { signals: 'SIGTERM' },
        'Invalid option "signals": expected a non-empty array of signal names, got "SIGTERM"',
      ],
      [
        { signals: [] },
        'Invalid option "signals": expected a non-empty array of signal names, got ',
      ],
      [
        { signals: ['SIGKILL'] },
        'Invalid option "signals": expected signal names a process can listen for, like "SIGTERM", got "SIGKILL"',
      ],
      [
        { signals: ['SIGTERM', 'SIGFOO'] },
        'Invalid option "signals": expected signal names a process can listen for, like "SIGTERM", got "SIGFOO"',
      ],
      [{ exit: 1 }, 'Invalid option "exit": expected a boolean, got 1'],
      [
        { drain: { batchSize: -1 } },
        'Invalid option "drain.batchSize": expected an integer ≥ 1, got -1',
      ],
      [7, 'Invalid option "closeOnSignals() options": expected an options object, got 7'],
    ]
    for (const [options, message] of cases) {
      assert.throws(() => wss.closeOnSignals(options as never), refused(message), message)
    }
    assert.equal(process.listenerCount('SIGTERM') + process.listenerCount('SIGINT'), listeners)
  })
})

describe('closeOnSignals() in this process', () => {
  test('a signal runs shutdown(); the listener goes once the server has closed', async () => {
    const server = await serve(echo)
    const client = await open(server.url())
    const before = process.listenerCount(SIGNAL)
    server.wss.closeOnSignals({ signals: [SIGNAL], drain: { interval: 0 } })
    assert.equal(process.listenerCount(SIGNAL), before + 1)
    process.emit(SIGNAL, SIGNAL)
    assert.equal(server.wss.health().closing, true)
    const closed = await within(client.closed, 3000, 'client close')
    assert.equal(closed.code, 1012)
    assert.match(closed.reason, RESTART_REASON)
    await eventually(() => process.listenerCount(SIGNAL) === before, 'listener removed')
    assert.equal(server.http.listenerCount('upgrade'), 0)
    assert.throws(
      () => server.wss.closeOnSignals({ signals: [SIGNAL] }),
      (error: unknown) => error instanceof RoomcastError && error.code === ErrorCode.ServerClosed,
    )
  })

  test('the returned function removes the listeners; so does close()', async () => {
    const server = await serve(echo)
    const client = await open(server.url())
    const before = process.listenerCount(SIGNAL)
    const remove = server.wss.closeOnSignals({ signals: [SIGNAL, SIGNAL] })
    assert.equal(process.listenerCount(SIGNAL), before + 1, 'a signal named twice is heard once')
    remove()
    assert.equal(process.listenerCount(SIGNAL), before)
    process.emit(SIGNAL, SIGNAL)
    assert.equal(server.wss.health().closing, false)
    assert.equal(client.ws.readyState, WebSocket.OPEN)

    server.wss.closeOnSignals({ signals: [SIGNAL] })
    await within(server.wss.close(), 3000, 'close()')
    assert.equal(process.listenerCount(SIGNAL), before)
  })
})

describe('closeOnSignals() in a server process', () => {
  test('SIGTERM with traffic: 1012 in batches interval apart, 503 meanwhile, exit 0 on its own', async () => {
    const interval = 300
    const node = await spawnNode({ batchSize: 10, interval, timeout: 10_000 })
    const clients = await clientsOf(node, 30)
    const received = clients.map(() => [] as number[])
    clients.forEach((client, i) => {
      client.ws.on('message', () => received[i]?.push(performance.now()))
    })
    let sent = 0
    const traffic = setInterval(() => {
      const from = clients[sent++ % clients.length]
      if (from?.ws.readyState === WebSocket.OPEN) from.send(`tick ${sent}`)
    }, 10)
    cleanups.push(() => clearInterval(traffic))
    await eventually(() => received.every((times) => times.length > 0), 'traffic reaches everyone')
    const closes = clients.map(timedClose)

    const signalledAt = performance.now()
    node.child.kill('SIGTERM')
    const first = await within(Promise.race(closes), 3000, 'first close')
    assert.equal(await handshakeOutcome(`ws://127.0.0.1:${node.port}/`), 503)
    const results = await within(Promise.all(closes), 5000, 'every close')
    clearInterval(traffic)
    const exit = await within(node.exited, 5000, 'exit')

    assert.deepEqual([exit.code, exit.signal], [0, null])
    assert.deepEqual(new Set(results.map((r) => r.code)), new Set([1012]))
    assert.ok(results.every((r) => RESTART_REASON.test(r.reason)))
    const runs = runsOf(
      results.map((r) => r.at),
      interval / 2,
    )
    assert.deepEqual(
      runs.map((run) => run.length),
      [10, 10, 10],
    )
    const starts = runs.map((run) => (run[0] as number) - signalledAt)
    assert.ok((starts[0] as number) < 200, `first batch ${starts[0]} ms after the signal`)
    for (let i = 1; i < runs.length; i++) {
      const gap = (starts[i] as number) - (starts[i - 1] as number)
      // Seen at the clients, in a process busy with traffic and other test files: one batch's
      // closes may be noticed tens of ms late, which shortens the gap after it as seen here.
      assert.ok(gap >= interval - 60 && gap < interval + 150, `batch ${i} came ${gap} ms later`)
    }
    for (const run of runs) {
      assert.ok((run.at(-1) as number) - (run[0] as number) < 100, 'a batch closes together')
    }
    // The last batch was still served while the first ones were closed.
    const lastBatch = results.flatMap((r, i) => (r.at >= (runs[2]?.[0] as number) ? [i] : []))
    assert.ok(lastBatch.every((i) => received[i]?.some((at) => at > first.at)))
    const exitAfter = exit.at - signalledAt
    assert.ok(exitAfter < 2 * interval + 1500, `exited ${exitAfter} ms after the signal`)
    assert.deepEqual(leftAtExit(node), [])
    assert.deepEqual(logs(node), [['info', 'roomcast: SIGTERM: shutting down']])
    assert.equal(node.stderr(), '')
  })

  test('a second SIGTERM during a long drain exits at once with 143', async () => {
    const node = await spawnNode({ batchSize: 1, interval: 5000, timeout: 20_000 })
    const clients = await clientsOf(node, 3)
    const closes = clients.map(timedClose)
    node.child.kill('SIGTERM')
    assert.equal(
      (await within(closes[0] as Promise<{ code: number }>, 3000, 'first close')).code,
      1012,
    )
    const againAt = performance.now()
    node.child.kill('SIGTERM')
    const exit = await within(node.exited, 2000, 'exit')
    assert.deepEqual([exit.code, exit.signal], [143, null])
    assert.ok(exit.at - againAt < 500, `exited ${exit.at - againAt} ms after the second signal`)
    const rest = await within(Promise.all(closes.slice(1)), 2000, 'the others')
    assert.deepEqual(
      rest.map((r) => r.code),
      [1006, 1006],
    )
    assert.deepEqual(logs(node).at(-1), [
      'warn',
      'roomcast: SIGTERM during shutdown: exiting with 143',
    ])
    assert.equal(leftAtExit(node), undefined, 'it did not wait for the loop to empty')
  })

  test("the app's own handle keeps the process up, its listeners gone; exit: true ends it anyway", async () => {
    const listenersSince = (node: NodeProcess, index: number) =>
      node.lines.slice(index).flatMap((line) => ('listeners' in line ? [line.listeners] : []))

    const lingering = await spawnNode({ batchSize: 10, interval: 50, linger: true })
    const [client] = await clientsOf(lingering, 1)
    await eventually(() => listenersSince(lingering, 0).includes(1), 'the listener is in place')
    const signalledAt = lingering.lines.length
    lingering.child.kill('SIGTERM')
    assert.equal((await within((client as TestClient).closed, 3000, 'close')).code, 1012)
    await eventually(
      () => listenersSince(lingering, signalledAt).includes(0),
      'the listener removed after the shutdown',
    )
    assert.deepEqual([lingering.child.exitCode, lingering.child.signalCode], [null, null])
    // Nobody listens any more: the default action ends the process.
    lingering.child.kill('SIGTERM')
    const killed = await within(lingering.exited, 2000, 'exit')
    assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM'])

    const exiting = await spawnNode({ batchSize: 10, interval: 50, linger: true, exit: true })
    const [other] = await clientsOf(exiting, 1)
    exiting.child.kill('SIGTERM')
    assert.equal((await within((other as TestClient).closed, 3000, 'close')).code, 1012)
    const exit = await within(exiting.exited, 3000, 'exit')
    assert.deepEqual([exit.code, exit.signal], [0, null])
  })

  describe('in a cluster', () => {
    let redis: RedisProcess
    before(async () => {
      redis = await within(startRedis(), 8000, 'startRedis')
    })
    after(() => redis.kill())

    test('SIGINT: the node drains, says goodbye, closes its Redis clients and exits 0', async () => {
      const prefix = 'shutdown'
      // A node timeout far longer than the test: only the goodbye explains a prompt drop.
      const local = await redisCluster(redis.url, {
        size: 1,
        prefix,
        adapter: { heartbeatInterval: 100, nodeTimeout: 5000 },
      })
      cleanups.push(() => within(local.close(), 5000, 'local node close'))
      const wss = local.nodes[0]?.wss
      assert.ok(wss)
      const node = await spawnNode({
        batchSize: 2,
        interval: 100,
        redis: { url: redis.url, prefix },
      })
      await eventually(() => wss.health().nodes === 2, 'the test node knows the process')
      const clients = await clientsOf(node, 4)
      const closes = clients.map(timedClose)
      node.child.kill('SIGINT')
      const results = await within(Promise.all(closes), 3000, 'every close')
      assert.deepEqual(
        results.map((r) => r.code),
        [1012, 1012, 1012, 1012],
      )
      const exit = await within(node.exited, 5000, 'exit')
      assert.deepEqual([exit.code, exit.signal], [0, null])
      await eventually(() => wss.health().nodes === 1, 'the test node dropped the process', 1000)
      assert.deepEqual(leftAtExit(node), [])
      assert.deepEqual(logs(node), [['info', 'roomcast: SIGINT: shutting down']])
      assert.equal(node.stderr(), '')
    })
  })
})
