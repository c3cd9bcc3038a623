// Fan-out benchmark: roomcast beside ws (naive loop), Socket.IO and the coalesced-frame limit.
// Server and load generator are separate processes pinned to different cores; loopback only;
// every wait is bounded. Usage: npm run bench [-- --clients 1000,5000 --messages 200 --runs 3 --shape burst|single]
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'

type Variant = 'ws' | 'socketio' | 'limit' | 'roomcast'
type Event = { ev: string; [key: string]: unknown }

const VARIANTS: Variant[] = ['ws', 'socketio', 'limit', 'roomcast']
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback)
}
const CLIENTS = arg('clients', '1000,5000').split(',').map(Number)
const MESSAGES = Number(arg('messages', '200'))
const RUNS = Number(arg('runs', '3'))
const SHAPES = [
  { name: 'burst (10/turn)', perTurn: 10 },
  { name: 'single (1/turn)', perTurn: 1 },
].filter((shape) => arg('shape', 'all') === 'all' || shape.name.startsWith(arg('shape', 'all')))
const pin = existsSync('/usr/bin/taskset') && cpus().length >= 2

function start(core: number, file: string, args: string[]): ChildProcess {
  const node = [
    process.execPath,
    '--import',
    'tsx',
    new URL(file, import.meta.url).pathname,
    ...args,
  ]
  const [cmd, ...rest] = pin ? ['taskset', '-c', String(core), ...node] : node
  return spawn(cmd as string, rest, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

function next(child: ChildProcess, ev: string, ms: number, until?: (e: Event) => boolean) {
  return new Promise<Event>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${ev}`)), ms)
    const onMessage = (e: Event) => {
      if (e.ev === 'error') return reject(new Error(String(e.message)))
      if (e.ev !== ev || (until && !until(e))) return
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(e)
    }
    child.on('message', onMessage)
  })
}

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

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

console.log(`fan-out, ${MESSAGES} messages of ~100 B JSON, median of ${RUNS} runs, pinned: ${pin}`)
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
    console.log('variant    deliveries/s  × ws   CPU µs/delivery  × ws   p50 ms  p99 ms')
    for (const [variant, list] of results) {
      const rate = median(list.map((r) => r.deliveriesPerSec))
      const cpu = median(list.map((r) => r.cpuUsPerDelivery))
      console.log(
        `${variant.padEnd(10)} ${Math.round(rate).toString().padStart(12)}  ${(rate / base).toFixed(2).padStart(4)}` +
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
