// Benchmark: what roomcast/metrics adds in-process: the synchronous part of a broadcast to N
// connections with and without the timer (interleaved blocks), and one scrape of the registry.
// Usage: node --import tsx bench/metrics-cost.ts [--clients 1000] [--broadcasts 2000] [--blocks 20]
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import WebSocket from 'ws'
import { createWebSocket } from '../src/index.ts'
import { registerMetrics } from '../src/metrics.ts'
import { arg, median } from './harness.ts'
import { createBenchServer } from './http-server.ts'

const CLIENTS = Number(arg('clients', '1000'))
const BROADCASTS = Number(arg('broadcasts', '2000'))
const BLOCKS = Number(arg('blocks', '20'))

const wss = createWebSocket({ heartbeatInterval: 0, logger: { error() {}, warn() {} } })
wss.on('/', (conn) => conn.join('room'))
const http = createBenchServer()
wss.attach(http)
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
const { port } = http.address() as AddressInfo
const clients = await Promise.all(
  Array.from(
    { length: CLIENTS },
    () =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/`)
        ws.once('open', () => resolve(ws))
        ws.once('error', reject)
      }),
  ),
)
while (wss.getRoomConnections('room').length < CLIENTS) await new Promise((r) => setTimeout(r, 10))

const message = { i: 0, t: 0, pad: 'x'.repeat(64) }
/** µs of the synchronous broadcast calls, per broadcast; writes drain between turns. */
async function block(): Promise<number> {
  let spent = 0
  for (let i = 0; i < BROADCASTS; i += 10) {
    const start = performance.now()
    for (let j = 0; j < 10; j++) wss.broadcastJsonToRoom('room', message)
    spent += performance.now() - start
    await new Promise((resolve) => setImmediate(resolve))
  }
  await new Promise((resolve) => setTimeout(resolve, 50))
  return (spent * 1000) / BROADCASTS
}

const registry = new Registry()
const off: number[] = []
const on: number[] = []
const timed = async (list: number[]) => {
  const registration = registerMetrics(wss, { registry })
  list.push(await block())
  registration.unregister()
}
await block() // warm-up
for (let b = 0; b < BLOCKS; b++) {
  // Alternating order: the later block of a pair tends to run warmer.
  if (b % 2 === 0) {
    off.push(await block())
    await timed(on)
  } else {
    await timed(on)
    off.push(await block())
  }
}
registerMetrics(wss, { registry })
// What a timed broadcast adds, alone: two clock reads and one histogram observation.
const observe = wss.instrumentation.observer
const ROUNDS = 1_000_000
const started = performance.now()
for (let i = 0; i < ROUNDS && observe !== undefined; i++) {
  const start = performance.now()
  observe(performance.now() - start, CLIENTS)
}
const addedNs = ((performance.now() - started) * 1e6) / ROUNDS
const scrapes: number[] = []
for (let i = 0; i < 50; i++) {
  const start = performance.now()
  await registry.metrics()
  scrapes.push(performance.now() - start)
}
const [a, b] = [median(off), median(on)]
console.log(`${CLIENTS} connections, ${BROADCASTS} broadcasts a block, medians of ${BLOCKS} blocks`)
console.log(
  `broadcast, metrics off: ${a.toFixed(1)} µs   on: ${b.toFixed(1)} µs   ratio ${(b / a).toFixed(3)}`,
)
console.log(
  `timer alone: ${addedNs.toFixed(0)} ns a broadcast = ${((addedNs / 1000 / a) * 100).toFixed(2)} % of one`,
)
console.log(`one scrape: ${median(scrapes).toFixed(2)} ms (median of 50)`)
for (const ws of clients) ws.terminate()
await wss.close()
http.close()
