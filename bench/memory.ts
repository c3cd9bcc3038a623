// Scenario 4, idle memory: server RSS and heap growth per idle connection, after forced GC.
import type { ChildProcess } from 'node:child_process'
import { arg, type Event, next, pin, RUNS, runAll, start, table } from './harness.ts'

type Variant = 'ws' | 'socketio' | 'roomcast' | 'roomcast-bare'
const VARIANTS: Variant[] = ['ws', 'socketio', 'roomcast', 'roomcast-bare']
const IDLE = Number(arg('idle', '10000'))
// Opened before the baseline, so one-time costs (code compiled on first use) are not per connection.
const WARM = Math.min(100, Math.floor(IDLE / 10))
const BATCH = 100

interface Result {
  rssKB: number
  heapKB: number
}

async function measure(variant: Variant): Promise<Result> {
  const server = start(0, './scenario-server.ts', [variant, 'idle'], ['--expose-gc'])
  let load: ChildProcess | undefined
  const sample = async () => {
    const sampled = next(server, 'sample', 10_000)
    server.send({ cmd: 'sample', gc: true })
    const s = await sampled
    if (!s.gc) throw new Error('the server has no gc(); it must run with --expose-gc')
    return s
  }
  const open = async (count: number, total: number) => {
    const opened = next(load as ChildProcess, 'opened', 120_000)
    load?.send({ cmd: 'open', count, inFlight: BATCH })
    await opened
    await next(server, 'count', 10_000, (e) => e.open === total)
  }
  try {
    const { port } = await next(server, 'ready', 10_000)
    load = start(1, './connect-clients.ts', [variant, String(port)])
    await next(load, 'ready', 10_000)
    await open(WARM, WARM)
    const base: Event = await sample()
    await open(IDLE - WARM, IDLE)
    await new Promise((resolve) => setTimeout(resolve, 500)) // let the last handshakes' garbage settle
    const full = await sample()
    const per = (key: string) =>
      ((full[key] as number) - (base[key] as number)) / (IDLE - WARM) / 1024
    return { rssKB: per('rss'), heapKB: per('heap') }
  } finally {
    server.kill()
    load?.kill()
  }
}

export async function memory(): Promise<void> {
  console.log(
    `\nidle memory: ${IDLE} idle connections (deltas over the last ${IDLE - WARM}, opened ${BATCH} ` +
      `at a time), server after forced GC, median of ${RUNS} runs, pinned: ${pin}`,
  )
  table(await runAll(VARIANTS, measure), [
    { head: 'RSS KB/conn', value: (r) => r.rssKB, digits: 2, ratio: true },
    { head: 'heap KB/conn', value: (r) => r.heapKB, digits: 2, ratio: true },
  ])
}
