/** The `upgrade` listeners the server adds to http(s) servers, so `close()` can take every one back. */
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'

export type AttachableServer = HttpServer | HttpsServer

/**
 * What to do with a request no route matches: answer 404, or leave the socket
 * alone for another `upgrade` listener on the same http server.
 */
export type Unmatched = 'reject' | 'ignore'

type UpgradeHandler = (
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  unmatched: Unmatched,
) => void
type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

export class UpgradeListeners {
  readonly #attached = new Map<AttachableServer, UpgradeListener>()

  /**
   * Listens for `server`'s upgrades, once per server. A path no route matches
   * is left to the server's other `upgrade` listeners when it has some (a dev
   * server's HMR, another WebSocket server), else refused.
   */
  add(server: AttachableServer, handle: UpgradeHandler): void {
    if (this.#attached.has(server)) return
    const listener: UpgradeListener = (request, socket, head) => {
      handle(request, socket, head, server.listenerCount('upgrade') > 1 ? 'ignore' : 'reject')
    }
    server.on('upgrade', listener)
    this.#attached.set(server, listener)
  }

  removeAll(): void {
    for (const [server, listener] of this.#attached) server.off('upgrade', listener)
    this.#attached.clear()
  }
}
