/** The offline buffer: sends made while disconnected, capped by count and age, flushed in order. */
import type { BufferOptions } from './options.js'

/** One held send. */
export interface BufferEntry {
  readonly data: string | ArrayBuffer | ArrayBufferView
  /** When it was held, on the client's clock. */
  readonly heldAt: number
  /** Told when the entry is dropped for size or age (a request rejects). */
  readonly onDrop?: () => void
  /** `false` once nobody wants it sent any more (a request that timed out). */
  readonly wanted?: () => boolean
}

/** At most `size` entries (the oldest go first), none older than `ttl` at flush. */
export class SendBuffer {
  readonly #entries: BufferEntry[] = []
  readonly #options: Readonly<Required<BufferOptions>>

  constructor(options: Readonly<Required<BufferOptions>>) {
    this.#options = options
  }

  get size(): number {
    return this.#entries.length
  }

  /** Holds `entry`, dropping the oldest when full: fresh data is worth more than stale. */
  push(entry: BufferEntry): void {
    this.#entries.push(entry)
    if (this.#entries.length > this.#options.size) this.#entries.shift()?.onDrop?.()
  }

  /** Empties the buffer, oldest first, into `send`: entries past `ttl` at `now` are dropped. */
  flush(now: number, send: (data: BufferEntry['data']) => void): void {
    for (const entry of this.#entries.splice(0)) {
      if (entry.wanted?.() === false) continue
      if (now - entry.heldAt > this.#options.ttl) entry.onDrop?.()
      else send(entry.data)
    }
  }

  /** Forgets every entry without telling anyone: the client is closing and says so itself. */
  clear(): void {
    this.#entries.length = 0
  }
}
