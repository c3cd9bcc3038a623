/** Coalesces a tick's writes per socket: cork on the first write, uncork all once per tick. */
import type { Socket } from 'node:net'

/**
 * A burst of N broadcasts in one tick costs one `writev` per socket instead of
 * N writes. Uncorking happens on `process.nextTick`, before any I/O, so it adds
 * no latency a client can measure.
 */
export class WriteBatch {
  readonly #corked = new Set<Socket>()
  #scheduled = false

  /** Writes `chunk` to `socket`, corking it until the end of the current tick. */
  write(socket: Socket, chunk: Buffer): void {
    if (!this.#corked.has(socket)) {
      socket.cork()
      this.#corked.add(socket)
      if (!this.#scheduled) {
        this.#scheduled = true
        process.nextTick(this.#flush)
      }
    }
    socket.write(chunk)
  }

  readonly #flush = (): void => {
    this.#scheduled = false
    for (const socket of this.#corked) socket.uncork()
    this.#corked.clear()
  }
}
