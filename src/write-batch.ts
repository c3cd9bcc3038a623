/** Coalesces a tick's writes per socket: cork on the first write, uncork all once per tick. */
import type { Socket } from 'node:net'

/** A socket with its bytes written this tick; `-1` while it is not corked. */
export interface BatchedSocket {
  readonly socket: Socket
  corkedBytes: number
}

/**
 * A burst of N broadcasts in one tick costs one `writev` per socket instead of
 * N writes. Uncorking happens on `process.nextTick`, before any I/O, so it adds
 * no latency a client can measure. State lives on each socket's record, so a
 * write costs no lookup.
 */
export class WriteBatch {
  #corked: BatchedSocket[] = []

  /** Writes `chunk`, corking the socket until the end of the current tick. */
  write(target: BatchedSocket, chunk: Buffer): void {
    if (target.corkedBytes < 0) {
      target.socket.cork()
      target.corkedBytes = 0
      if (this.#corked.push(target) === 1) process.nextTick(this.#flush)
    }
    target.corkedBytes += chunk.length
    target.socket.write(chunk)
  }

  readonly #flush = (): void => {
    const corked = this.#corked
    this.#corked = []
    for (const target of corked) {
      target.corkedBytes = -1
      target.socket.uncork()
    }
  }
}
