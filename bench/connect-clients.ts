// Connection load for memory and handshake: opens connections on command with bounded concurrency, holds them.
import type WebSocket from 'ws'
import { now, openMany } from './connect.ts'

const [, , variant = 'ws', port] = process.argv
const held: WebSocket[] = []

process.on('message', async (command: { cmd: 'open'; count: number; inFlight: number }) => {
  const started = now()
  try {
    held.push(...(await openMany(variant, Number(port), command.count, command.inFlight)))
    process.send?.({ ev: 'opened', ms: now() - started, total: held.length })
  } catch (error) {
    process.send?.({ ev: 'error', message: String(error) })
  }
})
process.send?.({ ev: 'ready' })
