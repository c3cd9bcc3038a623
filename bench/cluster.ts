// Scenario `cluster`: 1, 2 and 4 server processes behind one redis-server, clients spread across them, one room;
// roomcast's Redis adapter beside Socket.IO with @socket.io/redis-adapter. Node 0 publishes. Measures latency at
// a moderate rate, deliveries/s in bursts (all must arrive), and which nodes Redis hands a broadcast to when the
// room lives on one node. By default servers share core 0, load and redis core 1 (a 2-core VM has no more);
// --server-cores 0,1,2,3 --load-core 4 spreads them on a larger machine; --cpu-prof-dir DIR profiles the servers.
import type { ChildProcess } from 'node:child_process'
import { createClient } from 'redis'
import { type RedisProcess, startRedis } from '../test/helpers/redis.ts'
import { arg, type Event, median, next, pin, RUNS, start, stop, until } from './harness.ts'
import { numsub, type Redis } from './redis-probe.ts'

type Variant = 'socketio' | 'roomcast'
const VARIANTS: Variant[] = ['socketio', 'roomcast']
const NODES = arg('nodes', '1,2,4').split(',').map(Number)
const CLIENTS = Number(arg('cluster-clients', '1000'))
const RATE = Number(arg('cluster-rate', '50'))
const SECONDS = Number(arg('seconds', '4'))
const BURST = Number(arg('burst', '200'))
const PER_TURN = 10
/** Broadcasts to the one-node room when counting backplane receivers. */
const SOLO = 20
const GRACE_MS = 10_000
/** Server i runs on SERVER_CORES[i mod length]; the load and redis share LOAD_CORE (when pinning). */
const SERVER_CORES = arg('server-cores', '0').split(',').map(Number)
const LOAD_CORE = Number(arg('load-core', '1'))
/** A directory: each server writes a CPU profile of the measured burst there. */
const PROFILE_DIR = arg('cpu-prof-dir', '')

interface Result {
  deliveriesPerSec: number
  burstDeliveredPct: number
  cpuUsPerDelivery: number
  p50: number
  p99: number
  crossP99: number
  /** p99 over broadcasts of the first arrival at a client of another node. */
  firstCrossP99: number
  steadyDeliveredPct: number
  /** p50 and p99 publish→arrival at the other nodes' Redis subscribers (the worst node). */
  hopP50: number
  hopP99: number
  /** Per node: Redis messages on the one-node room's channel per broadcast to it. */
  soloPerNode: number[]
  /** Per node: Redis messages on the main room's channel per burst broadcast. */
  roomPerNode: number[]
}

const roomChannel = (variant: Variant, room: string) =>
  variant === 'roomcast' ? `roomcast:room:${room}` : `socket.io#/#${room}#`

/** Sends `command` to every server and collects one `ev` reply from each, in order. */
function all(servers: ChildProcess[], command: object, ev: string, ms = 10_000) {
  const replies = servers.map((s) => next(s, ev, ms))
  for (const server of servers) server.send(command)
  return Promise.all(replies)
}

/** `count` broadcasts at RATE from node 0; resolves with the load's report. */
async function steadyRound(publisher: ChildProcess, load: ChildProcess, count: number) {
  const bound = (count / RATE) * 1000 + GRACE_MS
  const expecting = next(load, 'expecting', 10_000)
  load.send({ cmd: 'expect', deliveries: CLIENTS * count, ms: bound, stride: 1 })
  await expecting
  const done = next(load, 'done', bound + 5_000)
  publisher.send({ cmd: 'publish', count, rate: RATE, room: 'room' })
  return done
}

/** BURST broadcasts from node 0 as fast as it turns; resolves with the load's and publisher's reports. */
async function burstRound(publisher: ChildProcess, load: ChildProcess) {
  const expecting = next(load, 'expecting', 10_000)
  load.send({ cmd: 'expect', deliveries: CLIENTS * BURST, ms: 30_000, stride: 97 })
  await expecting
  const done = next(load, 'done', 35_000)
  const ran = next(publisher, 'ran', 35_000)
  publisher.send({ cmd: 'burst', messages: BURST, perTurn: PER_TURN, room: 'room' })
  return Promise.all([done, ran])
}

/** The room lives on the last node only; node 0 broadcasts to it SOLO times. */
async function soloRound(
  variant: Variant,
  servers: ChildProcess[],
  load: ChildProcess,
  redis: Redis,
) {
  const host = servers[servers.length - 1] as ChildProcess
  const joined = next(host, 'joined', 5_000)
  host.send({ cmd: 'solo', room: 'solo' })
  if (!(await joined).ok) throw new Error('no connection to put in the one-node room')
  if (variant === 'roomcast') {
    await until('the one-node room subscription', 5_000, async () => {
      return (await numsub(redis, roomChannel(variant, 'solo'))) === 1
    })
  }
  const stray = () => {
    const reply = next(load, 'stray', 5_000)
    load.send({ cmd: 'stray' })
    return reply.then((e) => e.stray as number)
  }
  await stray()
  await all(servers, { cmd: 'mark', hops: false }, 'marked')
  const published = next(servers[0] as ChildProcess, 'published', 10_000)
  servers[0]?.send({ cmd: 'publish', count: SOLO, rate: 200, room: 'solo' })
  await published
  let received = 0
  await until('the one-node room broadcasts', 5_000, async () => {
    received += await stray()
    return received >= SOLO
  })
  // Redis delivers to every subscriber before the member's node writes to its client: all counted.
  const samples = await all(servers, { cmd: 'sample' }, 'sample')
  const channel = roomChannel(variant, 'solo')
  return samples.map((s) => ((s.bus as Record<string, number>)[channel] ?? 0) / SOLO)
}

async function measure(
  variant: Variant,
  nodes: number,
  redis: Redis,
  url: string,
): Promise<Result> {
  const servers: ChildProcess[] = []
  let load: ChildProcess | undefined
  try {
    for (let i = 0; i < nodes; i++) {
      const core = SERVER_CORES[i % SERVER_CORES.length] ?? 0
      const name = `${variant}-${nodes}n-node${i}`
      servers.push(start(core, './cluster-server.ts', [variant, url, name, PROFILE_DIR]))
    }
    const ports = (await Promise.all(servers.map((s) => next(s, 'ready', 15_000)))).map(
      (e) => e.port,
    )
    load = start(LOAD_CORE, './cluster-clients.ts', [variant, ports.join(','), String(CLIENTS)])
    await next(load, 'connected', 120_000)
    await Promise.all(
      servers.map((s, i) => {
        const share = Math.floor(CLIENTS / nodes) + (i < CLIENTS % nodes ? 1 : 0)
        return next(s, 'count', 10_000, (e) => e.open === share)
      }),
    )
    // Every node must hear the room before anything is measured (pub/sub drops what nobody hears).
    if (variant === 'roomcast') {
      await until('room subscriptions', 10_000, async () => {
        return (await numsub(redis, roomChannel(variant, 'room'))) === nodes
      })
    } else {
      await until('socket.io adapters', 10_000, async () => {
        const reply = next(servers[0] as ChildProcess, 'servers', 5_000)
        servers[0]?.send({ cmd: 'servers' })
        return ((await reply).count as number) >= nodes
      })
    }
    const publisher = servers[0] as ChildProcess
    const count = Math.max(1, Math.round(RATE * SECONDS))
    // A quarter of the run first, unmeasured, so that code compiled on first use is not counted.
    await steadyRound(publisher, load, Math.ceil(count / 4))
    await all(servers, { cmd: 'mark', hops: true }, 'marked')
    const steady = await steadyRound(publisher, load, count)
    const hops = await all(servers, { cmd: 'sample' }, 'sample')
    const remote = hops.slice(1).map((s) => (s.hop as { p50: number; p99: number }) ?? {})

    await burstRound(publisher, load)
    await all(servers, { cmd: 'mark', hops: false, profile: true }, 'marked')
    const [done, ran] = await burstRound(publisher, load)
    // Let the last writes drain before reading CPU, within a bound.
    await new Promise((resolve) => setTimeout(resolve, 200))
    const used = await all(servers, { cmd: 'sample' }, 'sample')
    const deliveries = CLIENTS * BURST
    const delivered = done.delivered as number
    const cpuMs = used.reduce((sum, s) => sum + (s.cpuMs as number), 0)
    const channel = roomChannel(variant, 'room')
    const result: Result = {
      deliveriesPerSec: delivered / (((done.at as number) - (ran.started as number)) / 1000),
      burstDeliveredPct: (100 * delivered) / deliveries,
      cpuUsPerDelivery: (cpuMs * 1000) / Math.max(1, delivered),
      p50: steady.p50 as number,
      p99: steady.p99 as number,
      crossP99: nodes > 1 ? (steady.crossP99 as number) : Number.NaN,
      firstCrossP99: nodes > 1 ? (steady.firstCrossP99 as number) : Number.NaN,
      steadyDeliveredPct: (100 * (steady.delivered as number)) / (CLIENTS * count),
      hopP50: nodes > 1 ? Math.max(...remote.map((h) => h.p50)) : Number.NaN,
      hopP99: nodes > 1 ? Math.max(...remote.map((h) => h.p99)) : Number.NaN,
      roomPerNode: used.map(
        (s: Event) => ((s.bus as Record<string, number>)[channel] ?? 0) / BURST,
      ),
      soloPerNode: [],
    }
    if (nodes > 1) result.soloPerNode = await soloRound(variant, servers, load, redis)
    return result
  } finally {
    load?.kill()
    await Promise.all(servers.map(stop))
  }
}

const fmt = (value: number, digits: number) => (Number.isNaN(value) ? '-' : value.toFixed(digits))
const perNode = (values: number[]) => values.map((v) => fmt(v, 2)).join('/')

const COLUMNS: { head: string; value: (r: Result) => number; digits: number }[] = [
  { head: 'deliveries/s', value: (r) => r.deliveriesPerSec, digits: 0 },
  { head: 'burst %', value: (r) => r.burstDeliveredPct, digits: 1 },
  { head: 'CPU µs/delivery', value: (r) => r.cpuUsPerDelivery, digits: 2 },
  { head: 'p50 ms', value: (r) => r.p50, digits: 2 },
  { head: 'p99 ms', value: (r) => r.p99, digits: 2 },
  { head: 'cross p99', value: (r) => r.crossP99, digits: 2 },
  { head: 'first p99', value: (r) => r.firstCrossP99, digits: 2 },
  { head: 'hop p50', value: (r) => r.hopP50, digits: 2 },
  { head: 'hop p99', value: (r) => r.hopP99, digits: 2 },
  { head: 'steady %', value: (r) => r.steadyDeliveredPct, digits: 1 },
]

/** One row per variant: medians over runs; Redis messages per node from the last run. */
function report(nodes: number, results: Map<Variant, Result[]>): void {
  const med = (variant: Variant, value: (r: Result) => number) =>
    median((results.get(variant) ?? []).map(value))
  const ratio =
    med('roomcast', (r) => r.deliveriesPerSec) / med('socketio', (r) => r.deliveriesPerSec)
  const plural = nodes > 1 ? 's' : ''
  console.log(`\n${nodes} node${plural}: roomcast ÷ Socket.IO deliveries/s ${ratio.toFixed(2)}×`)
  const heads = COLUMNS.map((c) => c.head)
  console.log(`variant   ${heads.join('  ')}  room msgs/node  one-node room msgs/node`)
  for (const variant of VARIANTS) {
    const list = results.get(variant) ?? []
    const last = list[list.length - 1]
    const cells = COLUMNS.map((c) => fmt(med(variant, c.value), c.digits).padStart(c.head.length))
    const room = perNode(last?.roomPerNode ?? []).padStart(14)
    const solo = (nodes > 1 ? perNode(last?.soloPerNode ?? []) : '-').padStart(23)
    console.log(`${variant.padEnd(9)} ${cells.join('  ')}  ${room}  ${solo}`)
  }
}

export async function cluster(): Promise<void> {
  console.log(
    `\ncluster: ${CLIENTS} clients spread over 1..n nodes, one room, node 0 publishes ~100 B JSON; ` +
      `latency at ${RATE}/s for ${SECONDS} s, throughput in bursts of ${BURST} (${PER_TURN}/turn); ` +
      `median of ${RUNS} runs, pinned: ${pin} (servers on core ${SERVER_CORES.join(',')}, load and redis on core ${LOAD_CORE})`,
  )
  console.log(
    'cross p99: clients on nodes other than the publisher; first p99: per broadcast, its first ' +
      'arrival at such a client; hop p99: publish → arrival at the other ' +
      "nodes' Redis subscribers; msgs/node: Redis messages each node received per broadcast " +
      '(node 0 first; the one-node room lives on the last node)',
  )
  let server: RedisProcess | undefined
  let redis: Redis | undefined
  try {
    server = await startRedis(pin ? { launcher: ['taskset', '-c', String(LOAD_CORE)] } : {})
    redis = createClient({ url: server.url })
    redis.on('error', () => {})
    await redis.connect()
    for (const nodes of NODES) {
      const results = new Map<Variant, Result[]>(VARIANTS.map((v) => [v, []]))
      for (let run = 0; run < RUNS; run++) {
        for (const variant of VARIANTS) {
          results.get(variant)?.push(await measure(variant, nodes, redis, server.url))
        }
      }
      report(nodes, results)
    }
  } finally {
    redis?.destroy()
    await server?.stop()
  }
}
