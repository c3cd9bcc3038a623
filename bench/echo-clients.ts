// Echo load: N clients sending ~100-byte JSON round-robin at a fixed aggregate rate; round-trip times.
import type WebSocket from 'ws'
import { now, openMany, percentiles } from './connect.ts'

const [, , variant = 'ws', port, count] = process.argv
const socketIo = variant === 'socketio'
const pad = 'x'.repeat(64)

let samples = new Float64Array(0)
let received = 0
let finish: (() => void) | undefined

function onMessage(text: string): void {
  if (received >= samples.length) return
  samples[received++] = now() - Number(/"t":([\d.]+)/.exec(text)?.[1])
  if (received === samples.length) finish?.()
}

function send(ws: WebSocket, i: number): void {
  const json = JSON.stringify({ i, t: now(), pad })
  ws.send(socketIo ? `42["m",${json}]` : json)
}

const sockets = await openMany(variant, Number(port), Number(count), 100, onMessage)

process.on('message', (command: { cmd: 'run'; count: number; rate: number; ms: number }) => {
  samples = new Float64Array(command.count)
  received = 0
  let sent = 0
  const started = now()
  // `count` sends paced at `rate`/s: a late timer catches up on the schedule.
  const tick = () => {
    const due = Math.min(command.count, Math.floor(((now() - started) * command.rate) / 1000) + 1)
    while (sent < due) send(sockets[sent % sockets.length] as WebSocket, sent++)
    if (sent < command.count) setTimeout(tick, started + (sent * 1000) / command.rate - now())
  }
  // Reports when every echo came back, or what came back by the deadline.
  const timer = setTimeout(() => finish?.(), command.ms)
  finish = () => {
    clearTimeout(timer)
    finish = undefined
    process.send?.({ ev: 'done', sent, received, ...percentiles(samples, received) })
  }
  tick()
})
process.send?.({ ev: 'connected' })
