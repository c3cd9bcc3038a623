/** The http(s) servers a server is attached to: its `upgrade` listeners, and the servers `listen()` made. */
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { ErrorCode, RoomcastError } from '../errors.js'
import {
  closeHttpServer,
  createHardenedServer,
  listenOn,
  upgradeRequired,
} from '../integrations/index.js'

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
  /** Made by `listen()`: closed with the server. */
  readonly #own: HttpServer[] = []
  #removed = false

  /**
   * A WebSocket-only http server listening on `port`: other requests get 426.
   * @throws {RoomcastError} (rejects) `ERR_SERVER_CLOSED` when `removeAll()` ran meanwhile; the
   * server it had started is closed again.
   */
  async listen(port: number, host: string | undefined): Promise<HttpServer> {
    const server = createHardenedServer(upgradeRequired)
    await listenOn(server, port, host)
    if (this.#removed) {
      await closeHttpServer(server)
      throw new RoomcastError(ErrorCode.ServerClosed, 'The server closed while listen() started')
    }
    this.#own.push(server)
    return server
  }

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

  /** Removes every listener, then closes the servers `listen()` made. */
  async removeAll(): Promise<void> {
    this.#removed = true
    for (const [server, listener] of this.#attached) server.off('upgrade', listener)
    this.#attached.clear()
    await Promise.all(this.#own.splice(0).map(closeHttpServer))
  }
}
