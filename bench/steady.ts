// Scenario 2, steady fan-out: a fixed broadcast rate to one room; delivery latency from the publish stamp.
import type { ChildProcess } from 'node:child_process'
import { arg, next, pin, RUNS, runAll, start, table } from './harness.ts'

type Variant = 'ws' | 'socketio' | 'limit' | 'roomcast'
const VARIANTS: Variant[] = ['ws', 'socketio', 'limit', 'roomcast']
const CLIENTS = Number(arg('steady-clients', '1000'))
// 50/s × 1,000 clients = 50k deliveries/s: below what every variant sustains here (the naive ws
// loop tops out near 100k), so the latencies are those of a loaded server, not of a growing backlog.
const RATE = Number(arg('steady-rate', '50'))
const SECONDS = Number(arg('seconds', '4'))
const GRACE_MS = 10_000

interface Result {
  p50: number
  p99: number
  cpuUsPerDelivery: number
  deliveredPct: number
}

/** `count` broadcasts at RATE; resolves with the load's and the server's reports. */
async function publish(server: ChildProcess, load: ChildProcess, count: number) {
  const bound = (count / RATE) * 1000 + GRACE_MS
  const expecting = next(load, 'expecting', 10_000)
  load.send({ cmd: 'expect', deliveries: CLIENTS * count, ms: bound })
  await expecting
  const done = next(load, 'done', bound + 5_000)
  const published = next(server, 'published', bound + 5_000)
  server.send({ cmd: 'publish', count, rate: RATE })
  return Promise.all([done, published])
}

async function measure(variant: Variant): Promise<Result> {
  const server = start(0, './scenario-server.ts', [variant, 'room'])
  let load: ChildProcess | undefined
  try {
    const { port } = await next(server, 'ready', 10_000)
    load = start(1, './steady-clients.ts', [variant, String(port), String(CLIENTS)])
    await next(load, 'connected', 60_000)
    await next(server, 'count', 10_000, (e) => e.open === CLIENTS)
    const count = Math.max(1, Math.round(RATE * SECONDS))
    // A quarter of the run first, unmeasured, so that code compiled on first use is not counted.
    await publish(server, load, Math.ceil(count / 4))
    const [d, p] = await publish(server, load, count)
    const delivered = d.delivered as number
    const deliveries = CLIENTS * count
    return {
      p50: d.p50 as number,
      p99: d.p99 as number,
      cpuUsPerDelivery: ((p.cpuMs as number) * 1000) / Math.max(1, delivered),
      deliveredPct: (100 * delivered) / deliveries,
    }
  } finally {
    server.kill()
    load?.kill()
  }
}

export async function steady(): Promise<void> {
  console.log(
    `\nsteady fan-out: ${CLIENTS} clients in one room, ${RATE} broadcasts/s for ${SECONDS} s ` +
      `(${CLIENTS * RATE} deliveries/s), ~100 B JSON, median of ${RUNS} runs, pinned: ${pin}`,
  )
  table(await runAll(VARIANTS, measure), [
    { head: 'p50 ms', value: (r) => r.p50, digits: 2 },
    { head: 'p99 ms', value: (r) => r.p99, digits: 2, ratio: true },
    { head: 'CPU µs/delivery', value: (r) => r.cpuUsPerDelivery, digits: 2, ratio: true },
    { head: 'delivered %', value: (r) => r.deliveredPct, digits: 1 },
  ])
}
