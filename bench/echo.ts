// Scenario 3, echo: N clients at a fixed aggregate rate; round-trip p50/p99 and server CPU per echo.
import type { ChildProcess } from 'node:child_process'
import { arg, next, pin, RUNS, runAll, start, table } from './harness.ts'

type Variant = 'ws' | 'socketio' | 'roomcast'
const VARIANTS: Variant[] = ['ws', 'socketio', 'roomcast']
const CLIENTS = Number(arg('echo-clients', '100'))
const RATE = Number(arg('echo-rate', '2000'))
const SECONDS = Number(arg('seconds', '4'))
const GRACE_MS = 10_000

interface Result {
  p50: number
  p99: number
  cpuUsPerEcho: number
  returnedPct: number
}

/** `count` echoes at RATE; resolves with the load's report. */
async function run(load: ChildProcess, count: number) {
  const bound = (count / RATE) * 1000 + GRACE_MS
  const done = next(load, 'done', bound + 5_000)
  load.send({ cmd: 'run', count, rate: RATE, ms: bound })
  return done
}

async function measure(variant: Variant): Promise<Result> {
  const server = start(0, './scenario-server.ts', [variant, 'echo'])
  let load: ChildProcess | undefined
  try {
    const { port } = await next(server, 'ready', 10_000)
    load = start(1, './echo-clients.ts', [variant, String(port), String(CLIENTS)])
    await next(load, 'connected', 60_000)
    await next(server, 'count', 10_000, (e) => e.open === CLIENTS)
    const count = Math.max(1, Math.round(RATE * SECONDS))
    // A quarter of the run first, unmeasured, so that code compiled on first use is not counted.
    await run(load, Math.ceil(count / 4))
    const marked = next(server, 'marked', 10_000)
    server.send({ cmd: 'mark' })
    await marked
    const d = await run(load, count)
    const sampled = next(server, 'sample', 10_000)
    server.send({ cmd: 'sample' })
    const s = await sampled
    const received = d.received as number
    return {
      p50: d.p50 as number,
      p99: d.p99 as number,
      cpuUsPerEcho: ((s.cpuMs as number) * 1000) / Math.max(1, received),
      returnedPct: (100 * received) / count,
    }
  } finally {
    server.kill()
    load?.kill()
  }
}

export async function echo(): Promise<void> {
  console.log(
    `\necho round trip: ${CLIENTS} clients, ${RATE} messages/s in all for ${SECONDS} s, ~100 B JSON ` +
      `parsed and re-encoded by the server, median of ${RUNS} runs, pinned: ${pin}`,
  )
  table(await runAll(VARIANTS, measure), [
    { head: 'p50 ms', value: (r) => r.p50, digits: 2 },
    { head: 'p99 ms', value: (r) => r.p99, digits: 2, ratio: true },
    { head: 'CPU µs/echo', value: (r) => r.cpuUsPerEcho, digits: 2, ratio: true },
    { head: 'returned %', value: (r) => r.returnedPct, digits: 1 },
  ])
}
