/** Seed 004's `WebSocketServerBaseController`: methods called `(ws, clientId, data)`, with `this.webSocketServer`. */
import { ControllerConvention, controllerConvention } from '../message/index.js'
import type { RoomcastServer } from '../server/index.js'
import { isPxlServer, type PxlServer, pxlServer } from './pxl-server.js'

/** What the constructor takes: what the router passes (the server), a face, or seed 004's `{ webSocketServer }`. */
export type BaseControllerInit =
  | RoomcastServer
  | PxlServer
  | { readonly webSocketServer: RoomcastServer | PxlServer }

function faceOf(value: unknown): PxlServer {
  if (isPxlServer(value)) return value
  return pxlServer(value as RoomcastServer)
}

/**
 * Base class of seed 004 controllers. Register a subclass with
 * `wss.controllers()`: the router builds it once, with the server, and calls
 * each action method as `method(ws, clientId, data, ctx)`, where `ws` is the
 * roomcast connection and `clientId` its id. A returned value is the reply.
 * @example
 * class ChatController extends WebSocketServerBaseController {
 *   send = (ws: WSConnection, clientId: string, data: { text: string }) => {
 *     this.webSocketServer.broadcastToAllClients({ data, excludeClientId: clientId })
 *     return { success: true }
 *   }
 * }
 * wss.controllers([{ type: 'chat', action: 'send', controller: ChatController }])
 */
export class WebSocketServerBaseController {
  /** Tells the router to call methods as `(ws, clientId, data, ctx)`; subclasses inherit it. */
  static readonly [controllerConvention] = ControllerConvention.ClientIdData

  /** Seed 004's server methods over the roomcast server (see `pxlServer`). */
  readonly webSocketServer: PxlServer

  /** @throws {TypeError} when given no roomcast server, face or `{ webSocketServer }`. */
  constructor(init: BaseControllerInit) {
    const isSeedInit =
      typeof init === 'object' &&
      init !== null &&
      !isPxlServer(init) &&
      Object.hasOwn(init, 'webSocketServer')
    if (isSeedInit) {
      const unknown = Object.keys(init).filter((key) => key !== 'webSocketServer')
      if (unknown.length > 0) {
        throw new TypeError(
          `WebSocketServerBaseController({ webSocketServer }): roomcast passes nothing else (got ${unknown.join(', ')})`,
        )
      }
    }
    this.webSocketServer = faceOf(
      isSeedInit ? (init as { webSocketServer: unknown }).webSocketServer : init,
    )
  }
}
