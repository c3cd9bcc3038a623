/** Named listener sets: the client's events, and its rooms, each in one. */

/** A listener as stored; callers keep the precise types. */
type Listener = (...args: never[]) => void

/** Listeners by name, called in the order they were added. */
export class Listeners {
  readonly #byName = new Map<string, Set<Listener>>()

  add(name: string, listener: Listener): void {
    const set = this.#byName.get(name) ?? new Set()
    set.add(listener)
    this.#byName.set(name, set)
  }

  has(name: string): boolean {
    return this.#byName.has(name)
  }

  remove(name: string, listener: Listener): void {
    const set = this.#byName.get(name)
    set?.delete(listener)
    if (set?.size === 0) this.#byName.delete(name)
  }

  /**
   * Calls every listener of `name` with `args`; a listener that throws goes to
   * `onThrow` and the others still run. Iterates a copy: a listener may remove itself.
   */
  emit(name: string, args: readonly unknown[], onThrow: (error: unknown) => void): void {
    const set = this.#byName.get(name)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        ;(listener as (...values: unknown[]) => void)(...args)
      } catch (error) {
        onThrow(error)
      }
    }
  }
}
