// Scenario c100k: N idle connections to one server process with heartbeats on, beside bare ws.
// Server RSS and heap per connection (and projected to 100,000), the idle CPU the heartbeats
// cost, and broadcasts to all N (one room of N members) with time to the last delivery.
import { type ChildProcess, spawnSync } from 'node:child_process'
import { arg, type Event, next, pin, RUNS, runAll, start, stop, table } from './harness.ts'

type Variant = 'ws' | 'limit' | 'roomcast'
const ALL: Variant[] = ['ws', 'limit', 'roomcast']
const VARIANTS = ALL.filter(
  (v) =>
    v === 'ws' || arg('variants', 'all') === 'all' || arg('variants', '').split(',').includes(v),
)
const CONNECTIONS = Number(arg('connections', '19000'))
// Each load process holds its share from its own source address (127.0.0.2, .3, …).
const LOAD_PROCESSES = Number(
  arg('load-processes', String(Math.max(2, Math.ceil(CONNECTIONS / 10_000)))),
)
const HEARTBEAT = Number(arg('heartbeat-interval', '30000'))
const BURST = 10
const WARM = 100
const IN_FLIGHT = 50 // per load process
const PROJECTED = 100_000

interface Result {
  rssKB: number
  heapKB: number
  rssMB: number
  projectedMB: number
  idleCpuPercent: number
  oneMs: number
  oneCpuMs: number
  burstMs: number
  burstCpuMs: number
}

/** The server needs one descriptor per connection plus its own few; refuse early and say why. */
function checkDescriptors(): void {
  const limit = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim())
  const needed = CONNECTIONS + 64
  if (Number.isFinite(limit) && limit < needed) {
    throw new Error(
      `c100k: ${CONNECTIONS} connections need ${needed} open files in the server process, and ` +
        `'ulimit -n' allows ${limit}: raise it (ulimit -n ${needed}) or pass --connections ${limit - 64}`,
    )
  }
}

async function measure(variant: Variant): Promise<Result> {
  const server = start(0, './c100k-server.ts', [variant, String(HEARTBEAT)], ['--expose-gc'])
  const loads: ChildProcess[] = []
  const ask = async (cmd: object, ev: string, ms = 10_000) => {
    const answer = next(server, ev, ms)
    server.send(cmd)
    return answer
  }
  const counted = (open: number) => next(server, 'count', 30_000, (e) => e.open === open)
  try {
    const { port } = await next(server, 'ready', 10_000)
    for (let i = 0; i < LOAD_PROCESSES; i++) {
      loads.push(start(1, './c100k-clients.ts', [String(port), `127.0.0.${2 + i}`]))
    }
    await Promise.all(loads.map((load) => next(load, 'ready', 10_000)))
    const first = loads[0] as ChildProcess
    first.send({ cmd: 'open', count: WARM, inFlight: IN_FLIGHT })
    await next(first, 'opened', 60_000)
    await counted(WARM)
    const base = await ask({ cmd: 'sample', gc: true }, 'sample')

    const rest = CONNECTIONS - WARM
    const opened = loads.map((load, i) => {
      const share = Math.floor(rest / LOAD_PROCESSES) + (i < rest % LOAD_PROCESSES ? 1 : 0)
      const done = next(load, 'opened', 600_000)
      load.send({ cmd: 'open', count: share, inFlight: IN_FLIGHT })
      return done
    })
    await Promise.all(opened)
    await counted(CONNECTIONS)
    await new Promise((resolve) => setTimeout(resolve, 500)) // let the last handshakes' garbage settle
    const full = await ask({ cmd: 'sample', gc: true }, 'sample')
    const per = (key: string) => ((full[key] as number) - (base[key] as number)) / rest

    // One heartbeat period of idle time: every connection is pinged once and answers.
    await ask({ cmd: 'mark' }, 'marked')
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT))
    const idle = await ask({ cmd: 'sample' }, 'sample')
    await counted(CONNECTIONS) // nobody was cut off by the heartbeat

    const deliver = async (count: number) => {
      await Promise.all(
        loads.map((load) => {
          const expecting = next(load, 'expecting', 10_000)
          load.send({ cmd: 'expect', perClient: count })
          return expecting
        }),
      )
      await ask({ cmd: 'mark' }, 'marked')
      const done = loads.map((load) => next(load, 'done', 60_000))
      const sent: Event = await ask({ cmd: 'broadcast', count }, 'broadcasted', 60_000)
      const ends = await Promise.all(done)
      const sample = await ask({ cmd: 'sample' }, 'sample')
      const last = Math.max(...ends.map((e) => e.at as number))
      return { ms: last - (sent.started as number), cpuMs: sample.cpuMs as number }
    }
    await deliver(1) // warm-up: the broadcast path compiled before it is timed
    const one = await deliver(1)
    const burst = await deliver(BURST)
    const baseRss = (base.rss as number) - per('rss') * WARM
    return {
      rssKB: per('rss') / 1024,
      heapKB: per('heap') / 1024,
      rssMB: (full.rss as number) / 2 ** 20,
      projectedMB: (baseRss + per('rss') * PROJECTED) / 2 ** 20,
      idleCpuPercent: ((idle.cpuMs as number) / HEARTBEAT) * 100,
      oneMs: one.ms,
      oneCpuMs: one.cpuMs,
      burstMs: burst.ms,
      burstCpuMs: burst.cpuMs,
    }
  } finally {
    await Promise.all([server, ...loads].map(stop))
  }
}

export async function c100k(): Promise<void> {
  checkDescriptors()
  console.log(
    `\nc100k: ${CONNECTIONS} idle connections (one room) from ${LOAD_PROCESSES} load processes on ` +
      `127.0.0.2–${1 + LOAD_PROCESSES}, heartbeats every ${HEARTBEAT} ms, server after forced GC; ` +
      `median of ${RUNS} runs, pinned: ${pin}`,
  )
  const results = await runAll(VARIANTS, measure)
  table(results, [
    { head: 'RSS KB/conn', value: (r) => r.rssKB, digits: 2, ratio: true },
    { head: 'heap KB/conn', value: (r) => r.heapKB, digits: 2, ratio: true },
    { head: 'RSS MB', value: (r) => r.rssMB, digits: 0 },
    { head: `RSS MB @${PROJECTED / 1000}k`, value: (r) => r.projectedMB, digits: 0 },
    { head: 'idle CPU % core', value: (r) => r.idleCpuPercent, digits: 2, ratio: true },
  ])
  console.log(`broadcasts to all ${CONNECTIONS}: one, then ${BURST} in one turn`)
  table(results, [
    { head: '1: ms to last', value: (r) => r.oneMs, digits: 1, ratio: true },
    { head: '1: CPU ms', value: (r) => r.oneCpuMs, digits: 1, ratio: true },
    { head: `${BURST}: ms to last`, value: (r) => r.burstMs, digits: 1, ratio: true },
    { head: `${BURST}: CPU ms`, value: (r) => r.burstCpuMs, digits: 1, ratio: true },
  ])
}
