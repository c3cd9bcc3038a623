// Benchmark server process: one variant, one room, broadcasts on command from the parent (IPC).
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { Server as SocketIoServer } from 'socket.io'
import { type WebSocket, WebSocketServer } from 'ws'
import { createWebSocket } from '../src/index.ts'
import { registerMetrics } from '../src/metrics.ts'
import { createBenchServer } from './http-server.ts'
import { limitBroadcast } from './limit-broadcast.ts'

type Variant = 'roomcast' | 'roomcast-metrics' | 'ws' | 'socketio' | 'limit'
type Command = { cmd: 'run'; messages: number; perTurn: number } | { cmd: 'exit' }

const variant = process.argv[2] as Variant
const http: Server = createBenchServer()
let members = 0
let broadcast: (message: object) => void

if (variant === 'roomcast' || variant === 'roomcast-metrics') {
  const wss = createWebSocket({ heartbeatInterval: 0 })
  wss.on('/', (conn) => {
    conn.join('room')
    members++
  })
  wss.attach(http)
  broadcast = (message) => wss.broadcastJsonToRoom('room', message)
  if (variant === 'roomcast-metrics') {
    // Scraped every 100 ms, 150 times as often as Prometheus's default 15 s: a pessimistic load.
    const registry = new Registry()
    registerMetrics(wss, { registry })
    setInterval(() => void registry.metrics(), 100).unref()
  }
} else if (variant === 'socketio') {
  const io = new SocketIoServer(http, { transports: ['websocket'], serveClient: false })
  io.on('connection', (socket) => {
    socket.join('room')
    members++
  })
  broadcast = (message) => io.to('room').emit('m', message)
} else {
  // ws used directly: the naive loop, or pre-built frames coalesced per socket (the limit).
  const wss = new WebSocketServer({ server: http, clientTracking: true })
  wss.on('connection', () => members++)
  const sockets = () => wss.clients as Set<WebSocket>
  if (variant === 'ws') {
    broadcast = (message) => {
      for (const ws of sockets()) ws.send(JSON.stringify(message))
    }
  } else {
    broadcast = limitBroadcast(sockets)
  }
}

const pad = 'x'.repeat(64)

function run(messages: number, perTurn: number): void {
  const cpu = process.cpuUsage()
  const started = Date.now()
  let sent = 0
  const turn = () => {
    for (let i = 0; i < perTurn && sent < messages; i++)
      broadcast({ i: sent++, t: Date.now(), pad })
    if (sent < messages) setImmediate(turn)
    else {
      // Let the last writes drain before reading CPU, within a bound.
      setTimeout(() => {
        const used = process.cpuUsage(cpu)
        process.send?.({ ev: 'ran', started, cpuMs: (used.user + used.system) / 1000 })
      }, 200)
    }
  }
  turn()
}

process.on('message', (command: Command) => {
  if (command.cmd === 'run') run(command.messages, command.perTurn)
  else process.exit(0)
})

http.listen(0, '127.0.0.1', () => {
  process.send?.({ ev: 'ready', port: (http.address() as AddressInfo).port })
  const report = setInterval(() => process.send?.({ ev: 'members', members }), 100)
  report.unref()
})
