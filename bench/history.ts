// Scenario `history`: what room history costs a broadcast (off beside on, one node in memory and two over Redis,
// plain ws clients split across the nodes, node 0 bursts), then the recovery storm (history-storm.ts). Servers
// share core 0, load and redis core 1 unless --server-cores / --load-core say otherwise.
import type { ChildProcess } from 'node:child_process'
import { createClient } from 'redis'
import { type RedisProcess, startRedis } from '../test/helpers/redis.ts'
import { arg, median, next, pin, RUNS, runAll, start, stop, until } from './harness.ts'
import { HISTORY_SIZE, LOAD_CORE, SERVER_CORES, startNodes } from './history-nodes.ts'
import { recoveryStorm } from './history-storm.ts'
import { numsub, type Redis } from './redis-probe.ts'

type Mode = 'off' | 'on'
const MODES: Mode[] = ['off', 'on']
const CLIENTS = Number(arg('history-clients', '1000'))
const BURST = Number(arg('burst', '200'))
const PER_TURN = 10
/** `fanout` (history off beside on), `storm` (recovery), or both. */
const PART = arg('history-part', 'all')
interface Result {
  deliveriesPerSec: number
  deliveredPct: number
  cpuUsPerDelivery: number
  p50: number
  p99: number
}

/** Sends `command` to every server and collects one `ev` reply from each, in order. */
function all(servers: ChildProcess[], command: object, ev: string) {
  const replies = servers.map((s) => next(s, ev, 10_000))
  for (const server of servers) server.send(command)
  return Promise.all(replies)
}

/** BURST broadcasts from `publisher`, PER_TURN a turn; resolves with the load's and publisher's reports. */
async function burstRound(publisher: ChildProcess, load: ChildProcess) {
  const expecting = next(load, 'expecting', 10_000)
  load.send({ cmd: 'expect', deliveries: CLIENTS * BURST, ms: 30_000, stride: 97 })
  await expecting
  const done = next(load, 'done', 35_000)
  const ran = next(publisher, 'ran', 35_000)
  publisher.send({ cmd: 'burst', messages: BURST, perTurn: PER_TURN })
  return Promise.all([done, ran])
}

async function measure(mode: Mode, nodes: number, redis: Redis | undefined, url: string) {
  await redis?.flushAll()
  const adapter = redis === undefined ? 'memory' : 'redis'
  const history = mode === 'on' ? 'history' : 'off'
  const { servers, ports } = await startNodes(nodes, [adapter, history, HISTORY_SIZE, '0', url])
  let load: ChildProcess | undefined
  try {
    load = start(LOAD_CORE, './cluster-clients.ts', ['roomcast', ports.join(','), String(CLIENTS)])
    await next(load, 'connected', 120_000)
    await Promise.all(
      servers.map((s, i) => {
        const share = Math.floor(CLIENTS / nodes) + (i < CLIENTS % nodes ? 1 : 0)
        return next(s, 'count', 10_000, (e) => e.open === share)
      }),
    )
    // Every node must hear the room before anything is measured (pub/sub drops what nobody hears).
    if (redis !== undefined) {
      await until('room subscriptions', 10_000, async () => {
        return (await numsub(redis, 'roomcast:room:room')) === nodes
      })
    }
    const publisher = servers[0] as ChildProcess
    // One unmeasured burst first, so that code compiled on first use is not counted.
    await burstRound(publisher, load)
    await all(servers, { cmd: 'mark' }, 'marked')
    const [done, ran] = await burstRound(publisher, load)
    // Let the last writes drain before reading CPU, within a bound.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const samples = await all(servers, { cmd: 'sample' }, 'sample')
    const delivered = done.delivered as number
    const cpuMs = samples.reduce((sum, s) => sum + (s.cpuMs as number), 0)
    return {
      deliveriesPerSec: delivered / (((done.at as number) - (ran.started as number)) / 1000),
      deliveredPct: (100 * delivered) / (CLIENTS * BURST),
      cpuUsPerDelivery: (cpuMs * 1000) / Math.max(1, delivered),
      p50: done.p50 as number,
      p99: done.p99 as number,
    }
  } finally {
    load?.kill()
    await Promise.all(servers.map(stop))
  }
}

const COLUMNS: { head: string; value: (r: Result) => number; digits: number }[] = [
  { head: 'deliveries/s', value: (r) => r.deliveriesPerSec, digits: 0 },
  { head: 'delivered %', value: (r) => r.deliveredPct, digits: 1 },
  { head: 'CPU µs/delivery', value: (r) => r.cpuUsPerDelivery, digits: 2 },
  { head: 'p50 ms', value: (r) => r.p50, digits: 2 },
  { head: 'p99 ms', value: (r) => r.p99, digits: 2 },
]

/** Medians per mode, each run's deliveries/s, and on ÷ off. */
function report(title: string, results: Map<Mode, Result[]>): void {
  const rate = (mode: Mode) => median((results.get(mode) ?? []).map((r) => r.deliveriesPerSec))
  console.log(`\n${title}: history on ÷ off deliveries/s ${(rate('on') / rate('off')).toFixed(2)}×`)
  console.log(`history  ${COLUMNS.map((c) => c.head).join('  ')}  runs (deliveries/s)`)
  for (const [mode, list] of results) {
    const cells = COLUMNS.map((c) =>
      median(list.map(c.value)).toFixed(c.digits).padStart(c.head.length),
    )
    const runs = list.map((r) => Math.round(r.deliveriesPerSec)).join(', ')
    console.log(`${mode.padEnd(7)}  ${cells.join('  ')}  ${runs}`)
  }
}

export async function history(): Promise<void> {
  if (PART !== 'storm') {
    console.log(
      `\nhistory: ${CLIENTS} plain ws clients in one room, bursts of ${BURST} broadcasts of ~100 B JSON ` +
        `(${PER_TURN}/turn) from node 0, history { size: ${HISTORY_SIZE}, ttl: 60 s } off and on; ` +
        `median of ${RUNS} runs, pinned: ${pin} (servers on core ${SERVER_CORES.join(',')}, ` +
        `load and redis on core ${LOAD_CORE})`,
    )
    report('1 node, memory adapter', await runAll(MODES, (mode) => measure(mode, 1, undefined, '')))
  }
  let server: RedisProcess | undefined
  let redis: Redis | undefined
  try {
    server = await startRedis(pin ? { launcher: ['taskset', '-c', String(LOAD_CORE)] } : {})
    redis = createClient({ url: server.url })
    redis.on('error', () => {})
    await redis.connect()
    const [over, url] = [redis, server.url]
    if (PART !== 'storm') {
      const cluster = await runAll(MODES, (mode) => measure(mode, 2, over, url))
      report('2 nodes over Redis, clients split', cluster)
    }
    if (PART !== 'fanout') await recoveryStorm(over, url)
  } finally {
    redis?.destroy()
    await server?.stop()
  }
}
