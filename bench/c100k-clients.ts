// C100k load: one of several processes, each opening its share of the idle connections from its own
// loopback source address; counts broadcast deliveries.
import type WebSocket from 'ws'
import { now, openMany } from './connect.ts'

type Command =
  | { cmd: 'open'; count: number; inFlight: number }
  | { cmd: 'expect'; perClient: number }

const [, , port, localAddress = '127.0.0.1'] = process.argv
const held = new Set<WebSocket>()
let received = 0
let expected = Number.POSITIVE_INFINITY

const onMessage = () => {
  received++
  if (received < expected) return
  process.send?.({ ev: 'done', at: now(), received })
  expected = Number.POSITIVE_INFINITY
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
    const opened = await openMany(
      'ws',
      Number(port),
      command.count,
      command.inFlight,
      onMessage,
      localAddress,
    )
    for (const ws of opened) {
      held.add(ws)
      ws.on('close', (code) =>
        process.send?.({ ev: 'error', message: `a client was closed (${code})` }),
      )
    }
    process.send?.({ ev: 'opened', ms: now() - started, total: held.size })
  } catch (error) {
    process.send?.({ ev: 'error', message: `${localAddress}: ${String(error)}` })
  }
})
process.send?.({ ev: 'ready' })
