// Benchmark load generator: N plain WebSocket clients counting deliveries (Socket.IO spoken by hand).
import WebSocket from 'ws'

const [, , variant, port, count] = process.argv
const clients = Number(count)
const socketIo = variant === 'socketio'
const url = socketIo
  ? `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`
  : `ws://127.0.0.1:${port}/`

let expected = Number.POSITIVE_INFINITY
let delivered = 0
const latencies: number[] = []

function onMessage(text: string): void {
  if (socketIo && !text.startsWith('42')) return
  delivered++
  if (delivered % 97 === 0) {
    const t = Number(/"t":(\d+)/.exec(text)?.[1])
    if (t) latencies.push(Date.now() - t)
  }
  if (delivered === expected) {
    latencies.sort((a, b) => a - b)
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
    process.send?.({ ev: 'done', at: Date.now(), p50: at(0.5), p99: at(0.99) })
  }
}

async function open(): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  ws.on('message', (data) => {
    const text = data.toString()
    if (socketIo) {
      if (text === '2') return ws.send('3')
      if (text.startsWith('0')) return ws.send('40')
    }
    onMessage(text)
  })
  ws.on('error', (error) => process.send?.({ ev: 'error', message: String(error) }))
  await new Promise((resolve) => ws.once('open', resolve))
}

process.on('message', (command: { cmd: 'expect'; deliveries: number } | { cmd: 'exit' }) => {
  if (command.cmd === 'exit') process.exit(0)
  expected = delivered + command.deliveries
  latencies.length = 0
})

for (let i = 0; i < clients; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, clients - i) }, open))
}
process.send?.({ ev: 'connected' })
