/** Per-connection token bucket: no timers, refilled lazily from the clock on each call. */

/**
 * Allows `capacity` messages per `intervalMs`, refilling continuously
 * (`capacity / intervalMs` tokens a millisecond) and starting full, so a burst
 * of `capacity` passes at once. One lives on every connection, so it holds
 * five numbers and nothing else.
 *
 * `now` defaults to `performance.now()`: a monotonic clock, so a wall-clock
 * step cannot stall or flood refills. Tests pass their own.
 *
 * @example
 * const bucket = new TokenBucket(20, 1_000)
 * if (!bucket.take()) {
 *   if (bucket.shouldNotify()) conn.json({ error: 'rate limited' })
 *   return
 * }
 */
export class TokenBucket {
  readonly #capacity: number
  readonly #intervalMs: number
  // Tokens scaled by intervalMs: refills add elapsed × capacity and a message
  // costs intervalMs, so integer clocks never accumulate rounding error (ten
  // refills of 0.1 token would not add up to the 1 a message needs).
  #credit: number
  // -Infinity: the first call refills to (already) full and may notify.
  #updatedAt = Number.NEGATIVE_INFINITY
  #notifiedAt = Number.NEGATIVE_INFINITY

  /** @throws {RangeError} unless both are finite and positive. */
  constructor(capacity: number, intervalMs: number) {
    if (!(Number.isFinite(capacity) && capacity > 0)) {
      throw new RangeError(`capacity must be a finite number above 0, got ${capacity}`)
    }
    if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
      throw new RangeError(`intervalMs must be a finite number above 0, got ${intervalMs}`)
    }
    this.#capacity = capacity
    this.#intervalMs = intervalMs
    this.#credit = capacity * intervalMs
  }

  /** Takes one token. @returns `false`, taking nothing, when the bucket is empty. */
  take(now: number = performance.now()): boolean {
    const elapsed = now - this.#updatedAt
    // A clock that went backwards (elapsed < 0) simply refills nothing.
    if (elapsed > 0) {
      const full = this.#capacity * this.#intervalMs
      this.#credit = Math.min(full, this.#credit + elapsed * this.#capacity)
    }
    this.#updatedAt = now
    if (this.#credit < this.#intervalMs) return false
    this.#credit -= this.#intervalMs
    return true
  }

  /**
   * `true` at most once per `intervalMs`, so a flooding client is told it is
   * limited once per interval rather than once per dropped message.
   */
  shouldNotify(now: number = performance.now()): boolean {
    // `now < notifiedAt` means an injected clock went backwards: start over rather than go mute.
    if (now - this.#notifiedAt < this.#intervalMs && now >= this.#notifiedAt) return false
    this.#notifiedAt = now
    return true
  }
}
