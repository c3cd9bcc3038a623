// C100k server: N idle connections in one room with heartbeats on; samples memory, heartbeat CPU
// and the cost of broadcasts to everyone, on IPC command.
import type { AddressInfo } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'
import { createWebSocket } from '../src/index.ts'
import { createBenchServer } from './http-server.ts'
import { limitBroadcast } from './limit-broadcast.ts'

type Variant = 'ws' | 'limit' | 'roomcast'
type Command =
  | { cmd: 'sample'; gc?: boolean }
  | { cmd: 'mark' }
  | { cmd: 'broadcast'; count: number }
  | { cmd: 'exit' }

const variant = process.argv[2] as Variant
const heartbeatInterval = Number(process.argv[3] ?? '30000')
const http = createBenchServer()
let open = 0
let broadcast: (message: object) => void

if (variant === 'roomcast') {
  const wss = createWebSocket({ heartbeatInterval })
  wss.on('/', (conn) => {
    open++
    conn.on('close', () => open--)
    conn.join('room')
  })
  wss.attach(http)
  broadcast = (message) => wss.broadcastJsonToRoom('room', message)
} else {
  // ws used directly, with the heartbeat its README recommends: a flag per socket, one interval.
  const wss = new WebSocketServer({ server: http, clientTracking: true })
  const alive = new WeakSet<WebSocket>()
  wss.on('connection', (ws) => {
    open++
    alive.add(ws)
    ws.on('pong', () => alive.add(ws))
    ws.on('close', () => open--)
  })
  const sockets = () => wss.clients as Set<WebSocket>
  const heartbeat = setInterval(() => {
    for (const ws of sockets()) {
      if (!alive.has(ws)) {
        ws.terminate()
        continue
      }
      alive.delete(ws)
      ws.ping()
    }
  }, heartbeatInterval)
  heartbeat.unref()
  broadcast =
    variant === 'ws'
      ? (message) => {
          for (const ws of sockets()) ws.send(JSON.stringify(message))
        }
      : limitBroadcast(sockets)
}

const now = () => Number(process.hrtime.bigint()) / 1e6 // CLOCK_MONOTONIC, as the load's clock
const pad = 'x'.repeat(64)
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since)
  return (used.user + used.system) / 1000
}

let mark = process.cpuUsage()
process.on('message', (command: Command) => {
  if (command.cmd === 'exit') process.exit(0)
  if (command.cmd === 'mark') {
    mark = process.cpuUsage()
    process.send?.({ ev: 'marked' })
  } else if (command.cmd === 'broadcast') {
    // `count` broadcasts in one turn, each stamped; the loop time is what they held the server up.
    const started = now()
    for (let i = 0; i < command.count; i++) broadcast({ i, t: started, pad })
    process.send?.({ ev: 'broadcasted', started, loopMs: now() - started })
  } else if (command.cmd === 'sample') {
    const cpu = cpuMs(mark)
    // Two full collections (started with --expose-gc), a turn apart, so finalizers have run.
    if (command.gc) globalThis.gc?.()
    setImmediate(() => {
      if (command.gc) globalThis.gc?.()
      const memory = process.memoryUsage()
      process.send?.({ ev: 'sample', cpuMs: cpu, rss: memory.rss, heap: memory.heapUsed })
    })
  }
})

http.listen(0, '127.0.0.1', () => {
  process.send?.({ ev: 'ready', port: (http.address() as AddressInfo).port })
  const report = setInterval(() => process.send?.({ ev: 'count', open }), 100)
  report.unref()
})
