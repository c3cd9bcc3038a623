// C100k load: one of several processes, each opening its share of the idle connections from its own
// loopback source address (each address has ~28k ephemeral ports); counts broadcast deliveries.
import WebSocket from 'ws'
import { now } from './connect.ts'

type Command =
  | { cmd: 'open'; count: number; inFlight: number }
  | { cmd: 'expect'; perClient: number }

const [, , port, localAddress = '127.0.0.1'] = process.argv
const held = new Set<WebSocket>()
let received = 0
let expected = Number.POSITIVE_INFINITY
let lastAt = 0

function openOne(): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false, localAddress })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error('connect timed out after 20000 ms'))
    }, 20_000)
    ws.once('open', () => {
      clearTimeout(timer)
      resolve(ws)
    })
    ws.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    ws.on('message', () => {
      received++
      if (received < expected) return
      lastAt = now()
      process.send?.({ ev: 'done', at: lastAt, received })
      expected = Number.POSITIVE_INFINITY
    })
    ws.on('close', (code) => {
      if (held.has(ws)) process.send?.({ ev: 'error', message: `a client was closed (${code})` })
    })
  })
}

async function openMany(count: number, inFlight: number): Promise<void> {
  let started = 0
  const worker = async () => {
    while (started < count) {
      started++
      held.add(await openOne())
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker))
}

process.on('message', async (command: Command | { cmd: 'exit' }) => {
  if (command.cmd === 'exit') process.exit(0)
  if (command.cmd === 'expect') {
    received = 0
    expected = held.size * command.perClient
    process.send?.({ ev: 'expecting' })
    return
  }
  const started = now()
  try {
    await openMany(command.count, command.inFlight)
    process.send?.({ ev: 'opened', ms: now() - started, total: held.size })
  } catch (error) {
    process.send?.({ ev: 'error', message: `${localAddress}: ${String(error)}` })
  }
})
process.send?.({ ev: 'ready' })
