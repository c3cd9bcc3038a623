/** The ws servers that complete upgrades: the server's own, then one per route object with ws-level options. */
import { type Server, WebSocketServer } from 'ws'
import { ConnectionSocket } from '../connection/connection-socket.js'
import type { WsConfig } from '../routes/index.js'
import type { Logger } from '../types.js'
import { debugLog, describeRequest } from './debug-log.js'
import { writeRejection } from './handshake.js'

/** A ws server whose sockets carry their connection. */
export type WsServer = Server<typeof ConnectionSocket>

export class WsServers {
  readonly #servers: WsServer[] = []
  readonly #rejected: (status: number) => void
  readonly #debug: Logger | undefined

  /** `rejected` counts the handshakes ws itself refuses; `debug` logs them, when set. */
  constructor(rejected: (status: number) => void, debug: Logger | undefined) {
    this.#rejected = rejected
    this.#debug = debug
  }

  create(config: WsConfig): WsServer {
    const preferred = config.subprotocols
    const wsServer: WsServer = new WebSocketServer({
      WebSocket: ConnectionSocket,
      noServer: true,
      clientTracking: false,
      maxPayload: config.maxPayload,
      maxFragments: config.maxFragments,
      perMessageDeflate: config.perMessageDeflate,
      autoPong: config.autoPong,
      // Server preference order: the first of ours the client also offers.
      handleProtocols: (offered) => preferred.find((p) => offered.has(p)) ?? false,
    })
    // Header errors only ws checks (malformed Sec-WebSocket-Protocol/-Extensions) are all 400s.
    wsServer.on('wsClientError', (error, socket, request) => {
      this.#rejected(400)
      if (this.#debug !== undefined) {
        debugLog(
          this.#debug,
          `roomcast: handshake refused: 400 ${error.message} (${describeRequest(request)})`,
        )
      }
      writeRejection(socket, { status: 400, message: error.message })
    })
    this.#servers.push(wsServer)
    return wsServer
  }

  /**
   * Forgets a removed route's server. Not closed: a handshake routed to it
   * before the removal still completes on it.
   */
  release(wsServer: WsServer): void {
    const index = this.#servers.indexOf(wsServer)
    if (index !== -1) this.#servers.splice(index, 1)
  }

  close(): void {
    for (const wsServer of this.#servers) {
      wsServer.removeAllListeners()
      wsServer.close()
    }
  }
}
