// History bench node: roomcast with history off, on, or on with recovery; memory or Redis adapter; one room, IPC-driven.
// `history-server.ts <memory|redis> <off|history|recovery> <size> <maxDisconnection ms> [redisUrl]`
import type { AddressInfo } from 'node:net'
import { createWebSocket } from '../src/index.ts'
import { createRedisAdapter } from '../src/redis.ts'
import type { WSConnection } from '../src/types.ts'
import { now } from './connect.ts'
import { createBenchServer } from './http-server.ts'

type Command =
  | { cmd: 'burst'; messages: number; perTurn: number }
  | { cmd: 'stream'; rate: number; count: number }
  | { cmd: 'halt' }
  | { cmd: 'mark' }
  | { cmd: 'sample' }
  | { cmd: 'exit' }

const [, , adapterName, mode, size = '1000', maxDisconnection = '60000', redisUrl = ''] =
  process.argv
if (adapterName !== 'memory' && adapterName !== 'redis') {
  throw new Error(`history-server: adapter ${adapterName}: use memory or redis`)
}
if (mode !== 'off' && mode !== 'history' && mode !== 'recovery') {
  throw new Error(`history-server: mode ${mode}: use off, history or recovery`)
}

const adapter = adapterName === 'redis' ? await createRedisAdapter({ redis: redisUrl }) : undefined
const wss = createWebSocket({
  heartbeatInterval: 0,
  ...(adapter === undefined ? {} : { adapter }),
  ...(mode === 'off' ? {} : { history: { size: Number(size), ttl: 60_000 } }),
  ...(mode === 'recovery' ? { recovery: { maxDisconnection: Number(maxDisconnection) } } : {}),
})
wss.on('error', (error) => console.error(`history-server: ${error}`))
let open = 0
wss.on('/', (conn: WSConnection) => {
  open++
  conn.on('close', () => open--)
  if (!conn.recovered) conn.join('room')
})
const http = createBenchServer()
wss.attach(http)
await wss.ready()

const pad = 'x'.repeat(64)
const send = (i: number) => wss.broadcastJsonToRoom('room', { i, t: now(), pad })

/** `messages` broadcasts as fast as the loop turns, `perTurn` per turn. */
function burst(messages: number, perTurn: number): void {
  const started = now()
  let sent = 0
  const turn = () => {
    for (let i = 0; i < perTurn && sent < messages; i++) send(sent++)
    if (sent < messages) setImmediate(turn)
    else process.send?.({ ev: 'ran', started })
  }
  turn()
}

/** Up to `count` broadcasts numbered from 1 at `rate`/s (a late timer catches up), until halted. */
let streamed = 0
let timer: NodeJS.Timeout | undefined
function stream(rate: number, count: number): void {
  const started = now()
  const tick = () => {
    const due = Math.min(count, Math.floor(((now() - started) * rate) / 1000) + 1)
    while (streamed < due) send(++streamed)
    if (streamed < count) timer = setTimeout(tick, started + (streamed * 1000) / rate - now())
  }
  tick()
}

let cpu = process.cpuUsage()
process.on('message', (command: Command) => {
  switch (command.cmd) {
    case 'burst':
      return burst(command.messages, command.perTurn)
    case 'stream':
      return stream(command.rate, command.count)
    case 'halt':
      clearTimeout(timer)
      return process.send?.({ ev: 'halted', sent: streamed })
    case 'mark':
      cpu = process.cpuUsage()
      return process.send?.({ ev: 'marked' })
    case 'sample': {
      const used = process.cpuUsage(cpu)
      return process.send?.({ ev: 'sample', cpuMs: (used.user + used.system) / 1000 })
    }
    case 'exit':
      return process.exit(0)
  }
})
// The orchestrator is gone: nothing else will stop this process.
process.on('disconnect', () => process.exit(0))

// A backlog as deep as the kernel allows: a reconnect storm measures roomcast, not SYN retries.
http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.send?.({ ev: 'ready', port: (http.address() as AddressInfo).port })
  const report = setInterval(() => process.send?.({ ev: 'count', open }), 100)
  report.unref()
})
