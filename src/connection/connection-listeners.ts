/** `conn.on()` and friends: the connection's own listeners, kept apart from its socket. */
import type { ConnectionEvent, ConnectionEvents } from '../types.js'
import { EventListeners } from './listeners.js'

/** The listener half of a connection; the connection emits through `emitEvent`. */
export abstract class ConnectionListeners extends EventListeners<ConnectionEvents> {
  on<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.addListener(event, listener, false)
    return this
  }

  once<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.addListener(event, listener, true)
    return this
  }

  off<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.removeListener(event, listener)
    return this
  }

  onMessage(listener: ConnectionEvents['message']): this {
    return this.on('message', listener)
  }

  onClose(listener: ConnectionEvents['close']): this {
    return this.on('close', listener)
  }

  listenerCount(event: ConnectionEvent): number {
    return this.countListeners(event)
  }

  /** Emits `error` to the connection's listeners; their own failures go to `onFailure`. */
  emitError(error: Error, onFailure: (error: Error) => void): void {
    this.emitEvent('error', [error], onFailure)
  }
}
