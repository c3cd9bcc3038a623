/**
 * Messages per second per node, from the deltas of its `getStats()` counters
 * between samples. Each admin page polls, so one sample may follow another
 * closely: a rate is only recomputed once its window has passed, and read
 * from the last one until then.
 */

export interface Rates {
  /** `null` until a window has passed since the node was first sampled. */
  messagesInPerSecond: number | null
  messagesOutPerSecond: number | null
}

interface Anchor {
  time: number
  messagesIn: number
  messagesOut: number
  rates: Rates
}

const UNKNOWN: Rates = { messagesInPerSecond: null, messagesOutPerSecond: null }

/** A node not sampled for this many windows has left: its anchor is dropped. */
const FORGET_AFTER_WINDOWS = 20

export class RateMeter {
  readonly #window: number
  readonly #anchors = new Map<string, Anchor>()

  /** @param window shortest span a rate is averaged over (ms). */
  constructor(window: number) {
    this.#window = window
  }

  /** @param time a monotonic clock reading (ms), e.g. `performance.now()`. */
  sample(nodeId: string, messagesIn: number, messagesOut: number, time: number): Rates {
    this.#forgetBefore(time - this.#window * FORGET_AFTER_WINDOWS)
    const anchor = this.#anchors.get(nodeId)
    const elapsed = anchor === undefined ? 0 : time - anchor.time
    // Counters only grow: a smaller one is another server under a reused id, so start over.
    if (
      anchor === undefined ||
      messagesIn < anchor.messagesIn ||
      messagesOut < anchor.messagesOut
    ) {
      this.#anchors.set(nodeId, { time, messagesIn, messagesOut, rates: UNKNOWN })
      return UNKNOWN
    }
    if (elapsed < this.#window) return anchor.rates
    const perSecond = (delta: number) => Math.round((delta * 10_000) / elapsed) / 10
    const rates = {
      messagesInPerSecond: perSecond(messagesIn - anchor.messagesIn),
      messagesOutPerSecond: perSecond(messagesOut - anchor.messagesOut),
    }
    this.#anchors.set(nodeId, { time, messagesIn, messagesOut, rates })
    return rates
  }

  #forgetBefore(time: number): void {
    for (const [nodeId, anchor] of this.#anchors) {
      if (anchor.time < time) this.#anchors.delete(nodeId)
    }
  }
}
