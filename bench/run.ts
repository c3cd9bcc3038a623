// Benchmark: roomcast beside ws (naive loop), Socket.IO and the coalesced-frame limit, scenario by scenario.
// Server and load generator are separate processes pinned to different cores; loopback only; every
// wait is bounded. Usage: npm run bench [-- --scenario fanout|steady|echo|memory|handshake|router|cluster|history|c100k|all
// (or a comma list) --runs 3; fan-out: --clients 1000,5000 --messages 200 --shape burst|single
// --variants roomcast,roomcast-metrics (ws always runs: the ratios are to it); steady:
// --steady-clients 1000 --steady-rate 50 --seconds 4; echo: --echo-clients 100 --echo-rate 2000
// --seconds 4; memory: --idle 10000; handshake: --connects 5000 --in-flight 50; router:
// --messages-router 200000 --passes 3; cluster: --nodes 1,2,4 --cluster-clients 1000 --cluster-rate 50
// --seconds 4 --burst 200 --server-cores 0 --load-core 1 --cpu-prof-dir DIR; history: --history-part fanout|storm|all --history-clients 1000
// --burst 200 --history-size 1000 --storm-clients 1000 --storm-rate 50 --max-disconnection 60000 --baseline-ms 2000;
// c100k: --connections 19000 --load-processes 2 --heartbeat-interval 30000 --variants ws,limit,roomcast]
import type { ChildProcess } from 'node:child_process'
import { c100k } from './c100k.ts'
import { cluster } from './cluster.ts'
import { echo } from './echo.ts'
import { handshake } from './handshake.ts'
import { arg, median, next, pin, RUNS, start } from './harness.ts'
import { history } from './history.ts'
import { memory } from './memory.ts'
import { router } from './router.ts'
import { steady } from './steady.ts'

type Variant = 'ws' | 'socketio' | 'limit' | 'roomcast' | 'roomcast-metrics'

const ALL_VARIANTS: Variant[] = ['ws', 'socketio', 'limit', 'roomcast', 'roomcast-metrics']
// `ws` stays in: the table's ratios are to it.
const VARIANTS = ALL_VARIANTS.filter(
  (v) =>
    v === 'ws' || arg('variants', 'all') === 'all' || arg('variants', '').split(',').includes(v),
)
const CLIENTS = arg('clients', '1000,5000').split(',').map(Number)
const MESSAGES = Number(arg('messages', '200'))
const SHAPES = [
  { name: 'burst (10/turn)', perTurn: 10 },
  { name: 'single (1/turn)', perTurn: 1 },
].filter((shape) => arg('shape', 'all') === 'all' || shape.name.startsWith(arg('shape', 'all')))

interface Result {
  deliveriesPerSec: number
  cpuUsPerDelivery: number
  p50: number
  p99: number
}

async function measure(variant: Variant, clients: number, perTurn: number): Promise<Result> {
  const server = start(0, './fanout-server.ts', [variant])
  let load: ChildProcess | undefined
  try {
    const { port } = await next(server, 'ready', 10_000)
    load = start(1, './fanout-clients.ts', [variant, String(port), String(clients)])
    await next(load, 'connected', 60_000)
    await next(server, 'members', 10_000, (e) => e.members === clients)
    const deliveries = clients * MESSAGES
    load.send({ cmd: 'expect', deliveries })
    const done = next(load, 'done', 60_000)
    const ran = next(server, 'ran', 60_000)
    server.send({ cmd: 'run', messages: MESSAGES, perTurn })
    const [d, r] = await Promise.all([done, ran])
    const seconds = ((d.at as number) - (r.started as number)) / 1000
    return {
      deliveriesPerSec: deliveries / seconds,
      cpuUsPerDelivery: ((r.cpuMs as number) * 1000) / deliveries,
      p50: d.p50 as number,
      p99: d.p99 as number,
    }
  } finally {
    server.kill()
    load?.kill()
  }
}

async function fanout(): Promise<void> {
  console.log(
    `fan-out, ${MESSAGES} messages of ~100 B JSON, median of ${RUNS} runs, pinned: ${pin}`,
  )
  for (const clients of CLIENTS) {
    for (const shape of SHAPES) {
      const results = new Map<Variant, Result[]>()
      for (let run = 0; run < RUNS; run++) {
        for (const variant of VARIANTS) {
          const list = results.get(variant) ?? []
          list.push(await measure(variant, clients, shape.perTurn))
          results.set(variant, list)
        }
      }
      const base = median((results.get('ws') ?? []).map((r) => r.deliveriesPerSec))
      const baseCpu = median((results.get('ws') ?? []).map((r) => r.cpuUsPerDelivery))
      console.log(`\n${clients} clients, ${shape.name}`)
      console.log('variant           deliveries/s  × ws   CPU µs/delivery  × ws   p50 ms  p99 ms')
      for (const [variant, list] of results) {
        const rate = median(list.map((r) => r.deliveriesPerSec))
        const cpu = median(list.map((r) => r.cpuUsPerDelivery))
        console.log(
          `${variant.padEnd(17)} ${Math.round(rate).toString().padStart(12)}  ${(rate / base).toFixed(2).padStart(4)}` +
            `  ${cpu.toFixed(2).padStart(15)}  ${(cpu / baseCpu).toFixed(2).padStart(4)}` +
            `  ${median(list.map((r) => r.p50))
              .toString()
              .padStart(6)}  ${median(list.map((r) => r.p99))
              .toString()
              .padStart(6)}`,
        )
      }
    }
  }
}

const SCENARIOS: Record<string, () => Promise<void>> = {
  fanout,
  steady,
  echo,
  memory,
  handshake,
  router,
  cluster,
  history,
  c100k,
}
const chosen = arg('scenario', 'all')
const names = chosen === 'all' ? Object.keys(SCENARIOS) : chosen.split(',')
const unknown = names.filter((name) => !(name in SCENARIOS))
if (unknown.length > 0) {
  throw new Error(
    `unknown scenario ${unknown.join(', ')}: use ${Object.keys(SCENARIOS).join('|')}|all`,
  )
}
for (const name of names) await SCENARIOS[name]?.()
