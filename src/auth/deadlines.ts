/**
 * Items by the moment they fall due, in slots of {@link DEADLINE_RESOLUTION}
 * ms: the sweep visits only the slots that came due since its last tick,
 * never every connection.
 */

/** How finely deadlines are kept; the sweep ticks this often while any are pending. */
export const DEADLINE_RESOLUTION = 250

export class Deadlines<T> {
  readonly #slots = new Map<number, Set<T>>()
  /** The last slot handed out by `due()`. */
  #cursor = Math.floor(Date.now() / DEADLINE_RESOLUTION)

  get size(): number {
    return this.#slots.size
  }

  /** @returns the slot, for `remove()`. An `at` already past falls due at the next tick. */
  add(item: T, at: number): number {
    const slot = Math.max(this.#cursor + 1, Math.ceil(at / DEADLINE_RESOLUTION))
    let items = this.#slots.get(slot)
    if (items === undefined) {
      items = new Set()
      this.#slots.set(slot, items)
    }
    items.add(item)
    return slot
  }

  remove(item: T, slot: number): void {
    const items = this.#slots.get(slot)
    if (items === undefined) return
    items.delete(item)
    if (items.size === 0) this.#slots.delete(slot)
  }

  /** Takes every item due by `now`, oldest slot first. */
  *due(now: number): Generator<T> {
    const last = Math.floor(now / DEADLINE_RESOLUTION)
    if (this.#slots.size === 0) {
      this.#cursor = Math.max(this.#cursor, last)
      return
    }
    while (this.#cursor < last) {
      this.#cursor++
      const items = this.#slots.get(this.#cursor)
      if (items === undefined) continue
      this.#slots.delete(this.#cursor)
      yield* items
    }
  }
}
