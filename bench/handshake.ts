// Scenario 5, handshake rate: N connects with bounded concurrency; connects/s and server CPU per handshake.
import type { ChildProcess } from 'node:child_process'
import { arg, next, pin, RUNS, runAll, start, table } from './harness.ts'

// roomcast-jwt: the same server with `auth: jwt({ secret })`, each handshake carrying an HS256 token.
type Variant = 'ws' | 'socketio' | 'roomcast' | 'roomcast-bare' | 'roomcast-jwt'
const VARIANTS: Variant[] = ['ws', 'socketio', 'roomcast', 'roomcast-bare', 'roomcast-jwt']
const CONNECTS = Number(arg('connects', '5000'))
const IN_FLIGHT = Math.max(1, Number(arg('in-flight', '50')))
// Opened before measuring, so one-time costs (code compiled on first use) are not counted.
const WARM = Math.min(50, CONNECTS)

interface Result {
  perSec: number
  cpuUsPerHandshake: number
}

async function measure(variant: Variant): Promise<Result> {
  const server = start(0, './scenario-server.ts', [variant, 'idle'])
  let load: ChildProcess | undefined
  const open = async (count: number, total: number) => {
    const opened = next(load as ChildProcess, 'opened', 120_000)
    load?.send({ cmd: 'open', count, inFlight: IN_FLIGHT })
    const o = await opened
    await next(server, 'count', 10_000, (e) => e.open === total)
    return o.ms as number
  }
  try {
    const { port } = await next(server, 'ready', 10_000)
    load = start(1, './connect-clients.ts', [variant, String(port)])
    await next(load, 'ready', 10_000)
    await open(WARM, WARM)
    const marked = next(server, 'marked', 10_000)
    server.send({ cmd: 'mark' })
    await marked
    const ms = await open(CONNECTS, WARM + CONNECTS)
    const sampled = next(server, 'sample', 10_000)
    server.send({ cmd: 'sample' })
    const s = await sampled
    return {
      perSec: CONNECTS / (ms / 1000),
      cpuUsPerHandshake: ((s.cpuMs as number) * 1000) / CONNECTS,
    }
  } finally {
    server.kill()
    load?.kill()
  }
}

export async function handshake(): Promise<void> {
  console.log(
    `\nhandshake rate: ${CONNECTS} connects, ${IN_FLIGHT} in flight, kept open, ` +
      `median of ${RUNS} runs, pinned: ${pin}`,
  )
  table(await runAll(VARIANTS, measure), [
    { head: 'connects/s', value: (r) => r.perSec, digits: 0, ratio: true },
    { head: 'CPU µs/handshake', value: (r) => r.cpuUsPerHandshake, digits: 1, ratio: true },
  ])
}
