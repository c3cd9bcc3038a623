/**
 * Seed 004's `WebSocketService`: message-shaped helpers over a server's
 * broadcasts. With a cluster adapter they reach every node.
 */
import { assertKnownKeys, keySet } from '../options/index.js'
import type { RoomcastServer } from '../server/index.js'

export interface WebSocketServiceOptions {
  webSocketServer: RoomcastServer
}

const SERVICE_KEYS = keySet<WebSocketServiceOptions>({ webSocketServer: true })

/** A `{ type, action, data }` message, as seed 004's clients expect. */
export interface ServiceMessage {
  type: string
  action: string
  data?: unknown
}

export class WebSocketService {
  readonly #server: RoomcastServer

  /** @throws {RoomcastError} `ERR_INVALID_OPTION` for another key (seed 004's `redisInstance`, `workerId`: the adapter does their job). */
  constructor(options: WebSocketServiceOptions) {
    if (typeof options === 'object' && options !== null) {
      assertKnownKeys(options, SERVICE_KEYS, {
        object: 'WebSocketService',
        scope: 'WebSocketService',
      })
    }
    if (typeof options?.webSocketServer?.broadcastJson !== 'function') {
      throw new TypeError(
        'new WebSocketService({ webSocketServer }): a roomcast server is required',
      )
    }
    this.#server = options.webSocketServer
  }

  /** Sends `message` as JSON to every connection. @returns how many local connections it reached. */
  async broadcast(message: ServiceMessage): Promise<number> {
    return this.#server.broadcastJson(message)
  }

  /** Sends `data` (objects as JSON) to the members of any of `rooms`, each once. */
  async sendToRooms(rooms: string[], data: unknown): Promise<number> {
    return this.#server.sendToRooms(rooms, data)
  }

  /** `{ type: 'user', action, data }` to every connection. */
  sendUserMessage(action: string, data: unknown): Promise<number> {
    return this.broadcast({ type: 'user', action, data })
  }

  /** `{ type: 'system', action, data }` to every connection. */
  sendSystemMessage(action: string, data: unknown): Promise<number> {
    return this.broadcast({ type: 'system', action, data })
  }

  /** `{ type: 'error', action, data: { message } }` to every connection; the stack stays here. */
  sendErrorMessage(action: string, error: Error | string): Promise<number> {
    const message = typeof error === 'string' ? error : error.message
    return this.broadcast({ type: 'error', action, data: { message } })
  }
}
