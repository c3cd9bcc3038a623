/** Waits for the server's last connection to close, bounded by a timeout. */
export class WhenEmpty {
  readonly #waiters = new Set<() => void>()

  /** Resolves when `notify()` runs on an empty server, or after `timeout` ms; at once if already empty. */
  wait(isEmpty: boolean, timeout: number): Promise<void> {
    if (isEmpty) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, timeout)
      this.#waiters.add(done)
    })
  }

  /** Called when the server's connection count reached zero. */
  notify(): void {
    for (const done of this.#waiters) done()
  }
}
