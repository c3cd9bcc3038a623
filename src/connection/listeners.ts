/** Typed listener lists whose failures are caught, never thrown into socket callbacks. */
import { invokeHook } from '../hooks.js'

type AnyListener = (...args: never[]) => unknown
type ListenerMap<Events> = { [E in keyof Events]: AnyListener }

/**
 * A `once` registration: an object of its own, so that its call removes it
 * and no other; `fired` keeps an emit nested in an earlier listener from
 * calling it a second time.
 */
interface OnceListener {
  readonly once: AnyListener
  fired: boolean
}
type Registration = AnyListener | OnceListener

const listenerOf = (registration: Registration): AnyListener =>
  typeof registration === 'function' ? registration : registration.once

/**
 * Listeners of every event in one flat list, `[event, registration, …]`,
 * made on the first registration: a connection has a handful of listeners,
 * and a map of lists (or an object per registration) per connection costs
 * more memory than a scan of them costs time.
 *
 * The list is replaced, never mutated, so a listener that adds or removes
 * listeners while an event is being emitted does not disturb it. Semantics
 * follow Node's EventEmitter: `off` removes the most recently added
 * registration, and a `once` registration removes only itself.
 */
export abstract class EventListeners<Events extends ListenerMap<Events>> {
  #list: readonly (keyof Events | Registration)[] | undefined

  protected addListener<E extends keyof Events>(event: E, listener: Events[E], once: boolean) {
    if (typeof listener !== 'function') {
      throw new TypeError(`The "${String(event)}" listener must be a function`)
    }
    const registration: Registration = once ? { once: listener, fired: false } : listener
    this.#list =
      this.#list === undefined ? [event, registration] : [...this.#list, event, registration]
  }

  protected removeListener<E extends keyof Events>(event: E, listener: Events[E]): void {
    const list = this.#list ?? []
    for (let i = list.length - 2; i >= 0; i -= 2) {
      if (list[i] === event && listenerOf(list[i + 1] as Registration) === listener) {
        this.removeAt(i)
        return
      }
    }
  }

  protected countListeners(event: keyof Events): number {
    const list = this.#list ?? []
    let count = 0
    for (let i = 0; i < list.length; i += 2) if (list[i] === event) count++
    return count
  }

  /** Calls every listener of `event`; a throw or rejection goes to `onFailure`. */
  protected emitEvent<E extends keyof Events>(
    event: E,
    args: Parameters<Events[E]>,
    onFailure: (error: Error) => void,
  ): void {
    const list = this.#list
    if (list === undefined) return
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] !== event) continue
      const registration = list[i + 1] as Registration
      if (typeof registration !== 'function') {
        if (registration.fired) continue
        registration.fired = true
        const at = this.#list?.indexOf(registration) ?? -1
        if (at > 0) this.removeAt(at - 1)
      }
      // Listeners of `event` were stored from `Events[E]`, so `args` fits them.
      invokeHook(listenerOf(registration) as (...args: unknown[]) => unknown, args, onFailure)
    }
  }

  /** Removes the registration whose event is at `start`. (`private`, not `#`: see Connection.) */
  private removeAt(start: number): void {
    const list = this.#list ?? []
    const rest = [...list.slice(0, start), ...list.slice(start + 2)]
    this.#list = rest.length === 0 ? undefined : rest
  }
}

/** The same lists as an object of their own, for an owner that is not itself an emitter. */
export class ListenerRegistry<Events extends ListenerMap<Events>> extends EventListeners<Events> {
  add<E extends keyof Events>(event: E, listener: Events[E], once: boolean): void {
    this.addListener(event, listener, once)
  }

  remove<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.removeListener(event, listener)
  }

  count(event: keyof Events): number {
    return this.countListeners(event)
  }

  emit<E extends keyof Events>(
    event: E,
    args: Parameters<Events[E]>,
    onFailure: (error: Error) => void,
  ): void {
    this.emitEvent(event, args, onFailure)
  }
}
