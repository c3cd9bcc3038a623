// Benchmark server for steady/echo/memory/handshake: one variant, one mode (room | echo | idle), IPC-driven.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server as SocketIoServer } from 'socket.io'
import { type WebSocket, WebSocketServer } from 'ws'
import { createWebSocket, jwt } from '../src/index.ts'
import { BENCH_SECRET } from './bench-token.ts'
import { createBenchServer } from './http-server.ts'
import { limitBroadcast } from './limit-broadcast.ts'

// roomcast-bare: a connection that uses no feature (no room); idle roomcast connections join one.
type Variant = 'roomcast' | 'roomcast-bare' | 'roomcast-jwt' | 'ws' | 'socketio' | 'limit'
type Mode = 'room' | 'echo' | 'idle'
type Command =
  | { cmd: 'publish'; count: number; rate: number }
  | { cmd: 'mark' }
  | { cmd: 'sample'; gc?: boolean }

const variant = process.argv[2] as Variant
const mode = process.argv[3] as Mode
const http: Server = createBenchServer()
let open = 0
let broadcast: (message: object) => void = () => {}

// Each echo does the same application work in every variant: parse the JSON, send it back encoded.
if (variant.startsWith('roomcast')) {
  const auth = variant === 'roomcast-jwt' ? { auth: jwt({ secret: BENCH_SECRET }) } : {}
  const wss = createWebSocket({ heartbeatInterval: 0, ...auth })
  wss.on('/', (conn) => {
    open++
    conn.on('close', () => open--)
    if (mode === 'room' || (mode === 'idle' && variant !== 'roomcast-bare')) conn.join('room')
    if (mode === 'echo') conn.on('message', (text) => conn.json(JSON.parse(String(text))))
  })
  wss.attach(http)
  broadcast = (message) => wss.broadcastJsonToRoom('room', message)
} else if (variant === 'socketio') {
  const io = new SocketIoServer(http, { transports: ['websocket'], serveClient: false })
  io.on('connection', (socket) => {
    open++
    socket.on('disconnect', () => open--)
    if (mode === 'room') socket.join('room')
    if (mode === 'echo') socket.on('m', (message) => socket.emit('m', message))
  })
  broadcast = (message) => io.to('room').emit('m', message)
} else {
  // ws used directly: the naive loop, or pre-built frames coalesced per socket (the limit).
  const wss = new WebSocketServer({ server: http, clientTracking: true })
  wss.on('connection', (ws) => {
    open++
    ws.on('close', () => open--)
    if (mode === 'echo') ws.on('message', (data) => ws.send(JSON.stringify(JSON.parse(`${data}`))))
  })
  const sockets = () => wss.clients as Set<WebSocket>
  if (variant === 'ws') {
    broadcast = (message) => {
      for (const ws of sockets()) ws.send(JSON.stringify(message))
    }
  } else {
    broadcast = limitBroadcast(sockets)
  }
}

const now = () => Number(process.hrtime.bigint()) / 1e6 // CLOCK_MONOTONIC, same clock as the load
const pad = 'x'.repeat(64)

/** `count` broadcasts paced at `rate`/s (a late timer catches up on the schedule), each stamped. */
function publish(count: number, rate: number): void {
  const cpu = process.cpuUsage()
  const started = now()
  let sent = 0
  const tick = () => {
    const due = Math.min(count, Math.floor(((now() - started) * rate) / 1000) + 1)
    while (sent < due) broadcast({ i: sent++, t: now(), pad })
    if (sent < count) setTimeout(tick, started + (sent * 1000) / rate - now())
    else {
      // Let the last writes drain before reading CPU, within a bound.
      setTimeout(() => {
        const used = process.cpuUsage(cpu)
        process.send?.({ ev: 'published', count, cpuMs: (used.user + used.system) / 1000 })
      }, 200)
    }
  }
  tick()
}

let mark = process.cpuUsage()
process.on('message', (command: Command) => {
  if (command.cmd === 'publish') publish(command.count, command.rate)
  else if (command.cmd === 'mark') {
    mark = process.cpuUsage()
    process.send?.({ ev: 'marked' })
  } else if (command.cmd === 'sample') {
    const used = process.cpuUsage(mark)
    // Two full collections (started with --expose-gc), a turn apart, so finalizers have run.
    if (command.gc) globalThis.gc?.()
    setImmediate(() => {
      if (command.gc) globalThis.gc?.()
      const memory = process.memoryUsage()
      process.send?.({
        ev: 'sample',
        cpuMs: (used.user + used.system) / 1000,
        rss: memory.rss,
        heap: memory.heapUsed,
        gc: typeof globalThis.gc === 'function',
      })
    })
  }
})

http.listen(0, '127.0.0.1', () => {
  process.send?.({ ev: 'ready', port: (http.address() as AddressInfo).port })
  const report = setInterval(() => process.send?.({ ev: 'count', open }), 100)
  report.unref()
})
