/** Typed listener lists whose failures are caught, never thrown into socket callbacks. */
import { invokeHook } from '../hooks.js'

type AnyListener = (...args: never[]) => unknown
type ListenerMap<Events> = { [E in keyof Events]: AnyListener }

interface Entry {
  readonly listener: AnyListener
  readonly once: boolean
}

/**
 * Listener lists are replaced, never mutated, so a listener that adds or
 * removes listeners while an event is being emitted does not disturb it.
 * Semantics follow Node's EventEmitter: `off` removes the most recently added
 * registration, and a `once` registration removes only itself.
 */
export class ListenerRegistry<Events extends ListenerMap<Events>> {
  readonly #lists = new Map<keyof Events, readonly Entry[]>()

  add<E extends keyof Events>(event: E, listener: Events[E], once: boolean): void {
    if (typeof listener !== 'function') {
      throw new TypeError(`The "${String(event)}" listener must be a function`)
    }
    const entry: Entry = { listener, once }
    this.#lists.set(event, [...(this.#lists.get(event) ?? []), entry])
  }

  remove<E extends keyof Events>(event: E, listener: Events[E]): void {
    const list = this.#lists.get(event)
    const index = list?.findLastIndex((entry) => entry.listener === (listener as AnyListener))
    if (list === undefined || index === undefined || index === -1) return
    this.#removeEntry(event, list[index] as Entry)
  }

  count(event: keyof Events): number {
    return this.#lists.get(event)?.length ?? 0
  }

  /** Calls every listener of `event`; a throw or rejection goes to `onFailure`. */
  emit<E extends keyof Events>(
    event: E,
    args: Parameters<Events[E]>,
    onFailure: (error: Error) => void,
  ): void {
    const list = this.#lists.get(event)
    if (list === undefined) return
    for (const entry of list) {
      if (entry.once) this.#removeEntry(event, entry)
      // Listeners of `event` were stored from `Events[E]`, so `args` fits them.
      invokeHook(entry.listener as (...args: unknown[]) => unknown, args, onFailure)
    }
  }

  #removeEntry(event: keyof Events, entry: Entry): void {
    const rest = (this.#lists.get(event) ?? []).filter((e) => e !== entry)
    if (rest.length === 0) this.#lists.delete(event)
    else this.#lists.set(event, rest)
  }
}
