// The "limit" variant: pre-built frames coalesced per socket per tick, with no library logic.
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'

/** A text frame header (RFC 6455 §5.2) for payloads under 64 KiB: all the benchmarks send. */
function textHeader(length: number): Buffer {
  return Buffer.from(length < 126 ? [0x81, length] : [0x81, 126, length >> 8, length & 0xff])
}

/** Broadcasts JSON to `clients()`: one frame per message, one write per socket per tick. */
export function limitBroadcast(clients: () => Iterable<WebSocket>): (message: object) => void {
  const corked = new Set<Socket>()
  return (message) => {
    const data = Buffer.from(JSON.stringify(message))
    const frame = Buffer.concat([textHeader(data.length), data])
    for (const ws of clients()) {
      const socket = (ws as unknown as { _socket: Socket })._socket
      if (!corked.has(socket)) {
        socket.cork()
        corked.add(socket)
        if (corked.size === 1) {
          process.nextTick(() => {
            for (const s of corked) s.uncork()
            corked.clear()
          })
        }
      }
      socket.write(frame)
    }
  }
}
