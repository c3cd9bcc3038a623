/** Typed listener lists whose failures are caught, never thrown into socket callbacks. */
import { invokeHook } from '../hooks.js'

type AnyListener = (...args: never[]) => unknown
type ListenerMap<Events> = { [E in keyof Events]: AnyListener }

interface Entry<Event> {
  readonly event: Event
  readonly listener: AnyListener
  readonly once: boolean
}

/**
 * The list is replaced, never mutated, so a listener that adds or removes
 * listeners while an event is being emitted does not disturb it. Semantics
 * follow Node's EventEmitter: `off` removes the most recently added
 * registration, and a `once` registration removes only itself.
 *
 * One flat list for every event, made on the first registration: a
 * connection has a handful of listeners, and a map of lists per connection
 * cost more memory than a scan of them costs time.
 */
export class ListenerRegistry<Events extends ListenerMap<Events>> {
  #entries: readonly Entry<keyof Events>[] | undefined

  add<E extends keyof Events>(event: E, listener: Events[E], once: boolean): void {
    if (typeof listener !== 'function') {
      throw new TypeError(`The "${String(event)}" listener must be a function`)
    }
    const entry: Entry<keyof Events> = { event, listener, once }
    this.#entries = this.#entries === undefined ? [entry] : [...this.#entries, entry]
  }

  remove<E extends keyof Events>(event: E, listener: Events[E]): void {
    const entry = this.#entries?.findLast(
      (e) => e.event === event && e.listener === (listener as AnyListener),
    )
    if (entry !== undefined) this.#removeEntry(entry)
  }

  count(event: keyof Events): number {
    let count = 0
    for (const entry of this.#entries ?? []) if (entry.event === event) count++
    return count
  }

  /** Calls every listener of `event`; a throw or rejection goes to `onFailure`. */
  emit<E extends keyof Events>(
    event: E,
    args: Parameters<Events[E]>,
    onFailure: (error: Error) => void,
  ): void {
    const entries = this.#entries
    if (entries === undefined) return
    for (const entry of entries) {
      if (entry.event !== event) continue
      if (entry.once) this.#removeEntry(entry)
      // Listeners of `event` were stored from `Events[E]`, so `args` fits them.
      invokeHook(entry.listener as (...args: unknown[]) => unknown, args, onFailure)
    }
  }

  #removeEntry(entry: Entry<keyof Events>): void {
    const rest = (this.#entries ?? []).filter((e) => e !== entry)
    this.#entries = rest.length === 0 ? undefined : rest
  }
}
