/**
 * The channels a node needs, kept in step with the transport: changes made in
 * one tick are diffed before anything is sent, so a join and a leave of the
 * same room in that tick cost nothing, and a failed change is retried later.
 */
import type { Transport } from './transport.js'

/** How long to wait before trying a refused subscription change again (ms). */
const RETRY_DELAY = 1000

export class Interest {
  readonly #transport: Transport
  readonly #onError: (error: unknown) => void
  /** What the node needs. */
  readonly #wanted = new Set<string>()
  /** What it has asked the transport for (and not had refused). */
  readonly #held = new Set<string>()
  /** Channels whose wanted and held state may differ. */
  #dirty = new Set<string>()
  #scheduled = false
  /** The latest flush, for callers waiting until their changes are in place. */
  #flushing: Promise<void> = Promise.resolve()
  #closed = false
  /** A retry after a refused change while the bus is up (a bus coming back flushes anyway). */
  #retry: NodeJS.Timeout | undefined

  constructor(transport: Transport, onError: (error: unknown) => void) {
    this.#transport = transport
    this.#onError = onError
  }

  add(channel: string): void {
    this.#wanted.add(channel)
    this.#mark(channel)
  }

  remove(channel: string): void {
    this.#wanted.delete(channel)
    this.#mark(channel)
  }

  /**
   * Sends what changed since the last flush; does nothing while the bus is
   * down (the caller flushes again when it is back). Never rejects.
   */
  flush(): Promise<void> {
    this.#flushing = this.#flush()
    return this.#flushing
  }

  /** Resolves once every change made so far has been sent (or refused). */
  async settled(): Promise<void> {
    // A change made in this tick is flushed in a microtask: wait for that flush.
    await Promise.resolve()
    await this.#flushing
  }

  async #flush(): Promise<void> {
    this.#scheduled = false
    if (this.#closed || !this.#transport.status.up || this.#dirty.size === 0) return
    const add: string[] = []
    const remove: string[] = []
    for (const channel of this.#dirty) {
      const wanted = this.#wanted.has(channel)
      if (wanted && !this.#held.has(channel)) add.push(channel)
      else if (!wanted && this.#held.has(channel)) remove.push(channel)
    }
    this.#dirty = new Set()
    for (const channel of add) this.#held.add(channel)
    for (const channel of remove) this.#held.delete(channel)
    const changes: Promise<void>[] = []
    if (add.length > 0) changes.push(this.#change(add, true))
    if (remove.length > 0) changes.push(this.#change(remove, false))
    await Promise.all(changes)
  }

  /** Stops tracking and drops every held channel (for a transport that stays the user's). */
  /** Stops tracking: nothing is sent any more. */
  stop(): void {
    this.#closed = true
    clearTimeout(this.#retry)
  }

  async clear(): Promise<void> {
    this.stop()
    const held = [...this.#held]
    this.#held.clear()
    this.#wanted.clear()
    // Tried even while down: a transport that remembers its channels then forgets these.
    if (held.length > 0) await this.#transport.unsubscribe(held).catch(() => {})
  }

  async #change(channels: string[], subscribe: boolean): Promise<void> {
    try {
      if (subscribe) await this.#transport.subscribe(channels)
      else await this.#transport.unsubscribe(channels)
    } catch (error) {
      // Assume the worst and look at these channels again on the next flush.
      for (const channel of channels) {
        if (subscribe) this.#held.delete(channel)
        else this.#held.add(channel)
        this.#dirty.add(channel)
      }
      if (this.#closed) return
      this.#onError(error)
      this.#retry ??= setTimeout(() => {
        this.#retry = undefined
        void this.flush()
      }, RETRY_DELAY).unref()
    }
  }

  #mark(channel: string): void {
    if (this.#closed) return
    this.#dirty.add(channel)
    if (this.#scheduled) return
    this.#scheduled = true
    queueMicrotask(() => void this.flush())
  }
}
