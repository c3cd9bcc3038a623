/** `conn.on()` and friends: the connection's own listeners, kept apart from its socket. */
import type { ConnectionEvent, ConnectionEvents } from '../types.js'
import { ListenerRegistry } from './listeners.js'

/** The listener half of a connection; the connection emits through `listeners`. */
export abstract class ConnectionListeners {
  protected readonly listeners = new ListenerRegistry<ConnectionEvents>()

  on<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.listeners.add(event, listener, false)
    return this
  }

  once<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.listeners.add(event, listener, true)
    return this
  }

  off<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.listeners.remove(event, listener)
    return this
  }

  onMessage(listener: ConnectionEvents['message']): this {
    return this.on('message', listener)
  }

  onClose(listener: ConnectionEvents['close']): this {
    return this.on('close', listener)
  }

  listenerCount(event: ConnectionEvent): number {
    return this.listeners.count(event)
  }

  /** Emits `error` to the connection's listeners; their own failures go to `onFailure`. */
  emitError(error: Error, onFailure: (error: Error) => void): void {
    this.listeners.emit('error', [error], onFailure)
  }
}
