/** Coalesces a tick's writes per socket: cork on the first write, uncork all once per tick. */
import type { Socket } from 'node:net'

/**
 * A burst of N broadcasts in one tick costs one `writev` per socket instead of
 * N writes. Uncorking happens on `process.nextTick`, before any I/O, so it adds
 * no latency a client can measure.
 */
export class WriteBatch {
  /** Corked sockets and the bytes written to each in this tick. */
  readonly #corked = new Map<Socket, number>()
  #scheduled = false

  /** Writes `chunk` to `socket`, corking it until the end of the current tick. */
  write(socket: Socket, chunk: Buffer): void {
    const written = this.#corked.get(socket)
    if (written === undefined) {
      socket.cork()
      if (!this.#scheduled) {
        this.#scheduled = true
        process.nextTick(this.#flush)
      }
    }
    this.#corked.set(socket, (written ?? 0) + chunk.length)
    socket.write(chunk)
  }

  /** Bytes written to `socket` in this tick (still corked). */
  writtenThisTick(socket: Socket): number {
    return this.#corked.get(socket) ?? 0
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    for (const socket of this.#corked.keys()) socket.uncork()
    this.#corked.clear()
  }
}
