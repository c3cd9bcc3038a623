/** Coalesces writes per socket: cork on the first write, uncork after the I/O phase. */
import type { Socket } from 'node:net'

/** Past this many bytes held for one socket, hand them to the kernel without waiting. */
const MAX_HELD_BYTES = 64 * 1024

/** A socket with the bytes written to it since it was last flushed; `-1` while not corked. */
export interface BatchedSocket {
  readonly tcpSocket: Socket
  corkedBytes: number
}

/**
 * Broadcasts made while the event loop handles one I/O phase (many clients'
 * messages read at once) or one callback cost one `writev` per socket instead
 * of one write per message. Sockets are uncorked in `setImmediate`, which runs
 * right after the poll phase, so coalescing adds no latency a client can
 * measure; more than 64 KiB for one socket is flushed at once.
 */
export class WriteBatch {
  #corked: BatchedSocket[] = []

  /** Writes `chunk`, corking the socket until the end of the current I/O phase. */
  write(target: BatchedSocket, chunk: Buffer): void {
    const socket = target.tcpSocket
    if (target.corkedBytes < 0) {
      socket.cork()
      target.corkedBytes = 0
      if (this.#corked.push(target) === 1) setImmediate(this.#flush)
    } else if (target.corkedBytes >= MAX_HELD_BYTES) {
      socket.uncork()
      socket.cork()
      target.corkedBytes = 0
    }
    target.corkedBytes += chunk.length
    socket.write(chunk)
  }

  readonly #flush = (): void => {
    const corked = this.#corked
    this.#corked = []
    for (const target of corked) {
      target.corkedBytes = -1
      target.tcpSocket.uncork()
    }
  }
}
