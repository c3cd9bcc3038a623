/** wss.upgrade(): Connect/Express middleware that lets HTTP routes see the WebSocket side. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RoomcastServer } from '../server/index.js'

/** A request that went through `wss.upgrade()`. */
export interface WebSocketAwareRequest extends IncomingMessage {
  /** `true` when the request asks for a WebSocket upgrade. */
  isWebSocket: boolean
  /** The WebSocket server, for broadcasting and statistics from HTTP routes. */
  wss: RoomcastServer
}

export type ConnectMiddleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void

const UPGRADE_REQUIRED = 'This path only accepts WebSocket connections'

export function createUpgradeMiddleware(
  wss: RoomcastServer,
  isWebSocketRoute: (path: string) => boolean,
): ConnectMiddleware {
  return (request, response, next) => {
    const isWebSocket = request.headers.upgrade?.toLowerCase() === 'websocket'
    Object.assign(request, { isWebSocket, wss })
    const url = request.url ?? '/'
    const q = url.indexOf('?')
    if (!isWebSocket && isWebSocketRoute(q === -1 ? url : url.slice(0, q))) {
      // RFC 7231 §6.5.15: 426 names the protocol to switch to.
      response.writeHead(426, {
        Upgrade: 'websocket',
        Connection: 'Upgrade',
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': Buffer.byteLength(UPGRADE_REQUIRED),
      })
      response.end(UPGRADE_REQUIRED)
      return
    }
    next()
  }
}
