/**
 * The WebSocket class roomcast's ws servers make (ws's `WebSocket` option):
 * ws's own, delivering its events straight to the connection it carries.
 */
import { WebSocket } from 'ws'

/** Where a socket's events go first: its connection. */
export interface SocketOwner {
  socketEvent(event: string | symbol, args: unknown[]): void
}

/**
 * Five listeners per socket would each cost an `addListener` at every
 * handshake and grow ws's listener table into a larger dictionary (about
 * 100 bytes per connection). Listeners others add still run, after the owner.
 */
export class ConnectionSocket extends WebSocket {
  owner: SocketOwner | undefined = undefined

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const owner = this.owner
    if (owner === undefined) return super.emit(event, ...args)
    owner.socketEvent(event, args)
    // The owner has heard an 'error': without other listeners it must not throw.
    return this.listenerCount(event) === 0 || super.emit(event, ...args)
  }
}
