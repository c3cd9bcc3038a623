// The recovery storm: roomcast clients on node A of two Redis nodes with history and recovery, a numbered stream
// from node B, A SIGKILLed, every client back on B at once. Times kill → all recovered, checks every client's
// numbers, and counts Redis commands per recovered client (INFO commandstats, the steady stream's rate subtracted).
import type { ChildProcess } from 'node:child_process'
import { now } from './connect.ts'
import { arg, type Event, median, next, RUNS, start, stop, until } from './harness.ts'
import { HISTORY_SIZE, LOAD_CORE, startNodes } from './history-nodes.ts'
import {
  type CommandStats,
  commandStats,
  cpuSeconds,
  delta,
  numsub,
  type Redis,
} from './redis-probe.ts'

const CLIENTS = Number(arg('storm-clients', '1000'))
const RATE = Number(arg('storm-rate', '50'))
const MAX_DISCONNECTION = arg('max-disconnection', '60000')
/** Stream running before the baseline window, and the window itself (ms). */
const WARM_MS = 1000
const BASELINE_MS = Number(arg('baseline-ms', '2000'))
const STORM_MS = 30_000
/** After the last client caught up, for the session writes that follow a recovery (ms). */
const SETTLE_MS = 500

interface Result {
  /** ms from the kill; NaN unless every client recovered. */
  allRecovered: number
  p50: number
  p99: number
  lastSession: number
  recovered: number
  fresh: number
  failed: number
  retries: number
  complete: number
  gaps: number
  repeats: number
  dropped: number
  keptAtKill: number
  /** Per command: calls and Redis µs per recovered client beyond the steady stream's. */
  perClient: Map<string, { calls: number; usec: number }>
  commands: number
  /** CPU ms from the kill to the last recovery: node B, the load, redis-server. */
  cpu: { b: number; load: number; redis: number }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** `storm - rate × seconds` per command, divided by `clients`. */
function netPerClient(storm: CommandStats, stormMs: number, base: CommandStats, baseMs: number) {
  const out = new Map<string, { calls: number; usec: number }>()
  const scale = stormMs / baseMs
  for (const [name, { calls, usec }] of storm) {
    const steady = base.get(name) ?? { calls: 0, usec: 0 }
    out.set(name, {
      calls: (calls - steady.calls * scale) / CLIENTS,
      usec: (usec - steady.usec * scale) / CLIENTS,
    })
  }
  return out
}

async function measure(redis: Redis, url: string): Promise<Result> {
  await redis.flushAll()
  const args = ['redis', 'recovery', HISTORY_SIZE, MAX_DISCONNECTION, url]
  const { servers, ports } = await startNodes(2, args)
  const [a, b] = servers as [ChildProcess, ChildProcess]
  let load: ChildProcess | undefined
  try {
    load = start(LOAD_CORE, './history-clients.ts', [...ports.map(String), String(CLIENTS)])
    await next(load, 'connected', 120_000)
    await next(a, 'count', 10_000, (e) => e.open === CLIENTS)
    await until('the room subscription', 10_000, async () => {
      return (await numsub(redis, 'roomcast:room:room')) === 1
    })
    // Node A writes each session to Redis after it changes: all of them must be there to survive it.
    await until('sessions in Redis', 10_000, async () => {
      return (await redis.keys('roomcast:session:*')).length === CLIENTS
    })
    const most = Math.ceil((RATE * (WARM_MS + BASELINE_MS + STORM_MS + 10_000)) / 1000)
    b.send({ cmd: 'stream', rate: RATE, count: most })
    await sleep(WARM_MS)
    const [s0, t0] = [await commandStats(redis), now()]
    await sleep(BASELINE_MS)
    const [s1, t1] = [await commandStats(redis), now()]
    const armed = next(load, 'armed', 5_000)
    load.send({ cmd: 'arm' })
    await armed
    const keptAtKill = await redis.xLen('roomcast:history:room')
    const marked = next(b, 'marked', 5_000)
    b.send({ cmd: 'mark' })
    await marked
    const redisCpu = await cpuSeconds(redis)
    const [s2, killAt] = [await commandStats(redis), now()]
    a.kill('SIGKILL')
    const storm = next(load, 'storm', STORM_MS + 5_000)
    load.send({ cmd: 'watch', ms: STORM_MS })
    const report = await storm
    const sampled = next(b, 'sample', 5_000)
    b.send({ cmd: 'sample' })
    const cpu = {
      b: (await sampled).cpuMs as number,
      load: report.cpuMs as number,
      redis: ((await cpuSeconds(redis)) - redisCpu) * 1000,
    }
    await sleep(SETTLE_MS)
    const [s3, t3] = [await commandStats(redis), now()]
    const halted = next(b, 'halted', 5_000)
    b.send({ cmd: 'halt' })
    const last = (await halted).sent as number
    const finished = next(load, 'finished', 10_000)
    load.send({ cmd: 'finish', last, ms: 5_000 })
    const end = await finished
    const perClient = netPerClient(delta(s2, s3), t3 - killAt, delta(s0, s1), t1 - t0)
    return summarize(report, end, { keptAtKill, killAt, perClient, cpu })
  } finally {
    load?.kill()
    await Promise.all(servers.map(stop))
  }
}

function summarize(
  report: Event,
  end: Event,
  run: Pick<Result, 'keptAtKill' | 'perClient' | 'cpu'> & { killAt: number },
): Result {
  const { killAt, perClient } = run
  const since = (times: unknown) => (times as number[]).map((t) => t - killAt).sort((x, y) => x - y)
  const caughtUp = since(report.caughtUp)
  const sessions = since(report.sessions)
  const at = (q: number) => caughtUp[Math.min(caughtUp.length - 1, Math.floor(q * caughtUp.length))]
  let commands = 0
  for (const value of perClient.values()) commands += value.calls
  return {
    allRecovered: caughtUp.length === CLIENTS ? (caughtUp.at(-1) as number) : Number.NaN,
    p50: at(0.5) ?? Number.NaN,
    p99: at(0.99) ?? Number.NaN,
    lastSession: sessions.at(-1) ?? Number.NaN,
    recovered: report.recovered as number,
    fresh: report.fresh as number,
    failed: report.failed as number,
    retries: report.retries as number,
    complete: end.complete as number,
    gaps: end.gaps as number,
    repeats: end.repeats as number,
    dropped: end.dropped as number,
    keptAtKill: run.keptAtKill,
    perClient,
    commands,
    cpu: run.cpu,
  }
}

const fmt = (value: number, digits: number) => (Number.isNaN(value) ? '-' : value.toFixed(digits))

const COLUMNS: { head: string; value: (r: Result) => number; digits: number }[] = [
  { head: 'all recovered ms', value: (r) => r.allRecovered, digits: 0 },
  { head: 'p50 ms', value: (r) => r.p50, digits: 0 },
  { head: 'p99 ms', value: (r) => r.p99, digits: 0 },
  { head: 'last session ms', value: (r) => r.lastSession, digits: 0 },
  { head: 'recovered', value: (r) => r.recovered, digits: 0 },
  { head: 'fresh', value: (r) => r.fresh, digits: 0 },
  { head: 'failed', value: (r) => r.failed, digits: 0 },
  { head: 'retries', value: (r) => r.retries, digits: 0 },
  { head: 'complete', value: (r) => r.complete, digits: 0 },
  { head: 'gaps', value: (r) => r.gaps, digits: 0 },
  { head: 'repeats', value: (r) => r.repeats, digits: 0 },
  { head: 'dropped', value: (r) => r.dropped, digits: 0 },
  { head: 'kept at kill', value: (r) => r.keptAtKill, digits: 0 },
  { head: 'cmds/client', value: (r) => r.commands, digits: 2 },
  { head: 'CPU ms B', value: (r) => r.cpu.b, digits: 0 },
  { head: 'load', value: (r) => r.cpu.load, digits: 0 },
  { head: 'redis', value: (r) => r.cpu.redis, digits: 0 },
]

function report(results: Result[]): void {
  console.log(`run     ${COLUMNS.map((c) => c.head).join('  ')}`)
  const row = (label: string, value: (c: (typeof COLUMNS)[number]) => number) =>
    console.log(
      `${label.padEnd(6)}  ${COLUMNS.map((c) => fmt(value(c), c.digits).padStart(c.head.length)).join('  ')}`,
    )
  for (const [i, r] of results.entries()) row(String(i + 1), (c) => c.value(r))
  row('median', (c) => median(results.map(c.value)))
  const names = [...new Set(results.flatMap((r) => [...r.perClient.keys()]))].sort()
  console.log(
    '\nRedis per recovered client beyond the steady stream, median (runs): calls, then µs of ' +
      "Redis CPU (a script's µs include its commands')",
  )
  const runs = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join(', ')
  for (const name of names) {
    const calls = results.map((r) => r.perClient.get(name)?.calls ?? 0)
    const usec = results.map((r) => r.perClient.get(name)?.usec ?? 0)
    if (calls.every((v) => Math.abs(v) < 0.005)) continue
    console.log(
      `  ${name.padEnd(10)} ${median(calls).toFixed(2).padStart(6)} (${runs(calls, 2)})` +
        `  ${median(usec).toFixed(1).padStart(7)} µs (${runs(usec, 1)})`,
    )
  }
}

export async function recoveryStorm(redis: Redis, url: string): Promise<void> {
  console.log(
    `\nrecovery storm: ${CLIENTS} roomcast clients on node A of 2 Redis nodes, history { size: ` +
      `${HISTORY_SIZE}, ttl: 60 s }, recovery { maxDisconnection: ${MAX_DISCONNECTION} }, node B ` +
      `streams numbered ~100 B JSON at ${RATE}/s; A SIGKILLed after ${(WARM_MS + BASELINE_MS) / 1000} s, ` +
      `every client straight to B with its session and positions; ${RUNS} runs`,
  )
  console.log(
    'ms from the kill. recovered: session frame said recovered and the client then got, with no ' +
      'gap or repeat, a message published after that frame (so every missed one had arrived); ' +
      'complete: clients holding exactly 1..last once the stream stopped; dropped: frames a roomcast ' +
      'client drops by position; cmds/client: INFO commandstats calls (script-internal ones ' +
      `included) from the kill to ${SETTLE_MS} ms after the last recovery, minus the steady ` +
      `stream's rate over a ${BASELINE_MS} ms window before the kill, ÷ ${CLIENTS}`,
  )
  const results: Result[] = []
  for (let run = 0; run < RUNS; run++) results.push(await measure(redis, url))
  report(results)
}
