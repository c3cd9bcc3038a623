// Load-side helpers: one plain ws client per connection (Socket.IO's engine.io spoken by hand), a shared clock.
import WebSocket from 'ws'
import { benchToken } from './bench-token.ts'

/** Milliseconds on CLOCK_MONOTONIC, with sub-ms precision: comparable between processes on one machine. */
export const now = () => Number(process.hrtime.bigint()) / 1e6

/** p50/p99 of the first `count` samples (sorted in place). */
export function percentiles(samples: Float64Array, count: number) {
  const sorted = samples.subarray(0, count).sort()
  const at = (q: number) => sorted[Math.min(count - 1, Math.floor(q * count))] ?? 0
  return { p50: at(0.5), p99: at(0.99) }
}

/**
 * Opens one connection to the bench server; resolves once the application can use it (open for
 * ws and roomcast, Socket.IO's connect acknowledgement for socketio), rejects after `ms`.
 * `onMessage` sees application messages only (Socket.IO event packets keep their `42` prefix).
 */
export function connect(
  variant: string,
  port: number,
  onMessage: (text: string, ws: WebSocket) => void,
  ms = 10_000,
  localAddress?: string,
) {
  const socketIo = variant === 'socketio'
  const url = socketIo
    ? `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`
    : variant === 'roomcast-jwt'
      ? `ws://127.0.0.1:${port}/?token=${benchToken}`
      : `ws://127.0.0.1:${port}/`
  const ws = new WebSocket(url, { perMessageDeflate: false, ...(localAddress && { localAddress }) })
  let settled = false
  return new Promise<WebSocket>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`connect timed out after ${ms} ms`))
    }, ms)
    const ready = () => {
      clearTimeout(timer)
      settled = true
      resolve(ws)
    }
    ws.on('message', (data) => {
      const text = data.toString()
      if (socketIo) {
        if (text === '2') return ws.send('3')
        if (text.startsWith('0')) return ws.send('40')
        if (text.startsWith('40')) return ready()
        if (!text.startsWith('42')) return
      }
      onMessage(text, ws)
    })
    ws.once('open', () => socketIo || ready())
    ws.on('error', (error) => {
      clearTimeout(timer)
      // Before it is usable, the caller hears of it; afterwards, the orchestrator does.
      if (!settled) reject(error)
      else process.send?.({ ev: 'error', message: String(error) })
    })
  })
}

/**
 * Opens `count` connections with at most `inFlight` handshakes pending at any time, from
 * `localAddress` when given (each loopback address has its own ~28k ephemeral ports).
 */
export async function openMany(
  variant: string,
  port: number,
  count: number,
  inFlight: number,
  onMessage: (text: string, ws: WebSocket) => void = () => {},
  localAddress?: string,
) {
  const sockets: WebSocket[] = []
  let started = 0
  const worker = async () => {
    while (started < count) {
      started++
      sockets.push(await connect(variant, port, onMessage, undefined, localAddress))
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker))
  return sockets
}
