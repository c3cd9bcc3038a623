/** A bounded set of recently seen message keys; the oldest is forgotten first. */

export class RecentIds {
  readonly #keys = new Set<string>()
  readonly #limit: number

  constructor(limit: number) {
    this.#limit = limit
  }

  /** @returns `true` when `key` was seen already; otherwise remembers it. */
  check(key: string): boolean {
    if (this.#keys.has(key)) return true
    this.#keys.add(key)
    if (this.#keys.size > this.#limit) {
      // A Set iterates in insertion order: its first key is the oldest.
      for (const oldest of this.#keys) {
        this.#keys.delete(oldest)
        break
      }
    }
    return false
  }
}
