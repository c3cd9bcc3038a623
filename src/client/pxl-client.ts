/** Seed 004's Node client, `WebSocketClient`: controllers from a directory, over the roomcast client and `ws`. */
import WebSocket from 'ws'
import { createClient, type RoomcastClient } from './client.js'
import { assertKnownKeys, keySet } from './known-keys.js'
import type { ClientOptions } from './options.js'
import { actionOf, type ClientController, loadControllers } from './pxl-controllers.js'
import type { WebSocketConstructor, WebSocketLike } from './socket.js'

/** Seed 004's client events; `clientId` is the server's connection id from the session frame. */
export interface WebSocketClientEvents {
  onConnected: (event: { ws: WebSocketLike; clientId: string | undefined }) => void
  /** Every message; `data` is parsed JSON when the text is JSON, else the text or ArrayBuffer. */
  onMessage: (event: { ws: WebSocketLike; clientId: string | undefined; data: unknown }) => void
  onDisconnected?: (event: { clientId: string | undefined }) => void
  onError?: (event: { error: Error }) => void
}

/** `options` of {@link WebSocketClient}. */
export interface WebSocketClientOptions {
  url: string
  /** Modules whose controllers handle pushes by `type`; see `load()`. */
  controllersDirectory?: string
  events: WebSocketClientEvents
  /** roomcast's own client options (reconnect, buffer, token…); `WebSocket` defaults to `ws`'s. */
  client?: ClientOptions
}

/** What seed 004 passes to `new WebSocketClient()`; the instances are handed to controllers, unused here. */
export interface WebSocketClientInit {
  applicationConfig?: unknown
  options: WebSocketClientOptions
  redisInstance?: unknown
  queueManager?: unknown
  databaseInstance?: unknown
  /** Seed 004 passes `[]`: client controllers come from `controllersDirectory`. */
  routes?: readonly never[]
}

const INIT_KEYS = keySet<WebSocketClientInit>({
  applicationConfig: true,
  options: true,
  redisInstance: true,
  queueManager: true,
  databaseInstance: true,
  routes: true,
})
const OPTIONS_KEYS = keySet<WebSocketClientOptions>({
  url: true,
  controllersDirectory: true,
  events: true,
  client: true,
})
const EVENTS_KEYS = keySet<WebSocketClientEvents>({
  onConnected: true,
  onMessage: true,
  onDisconnected: true,
  onError: true,
})
const SCOPE = 'WebSocketClient'

/**
 * Seed 004's Node.js client: `load()` the controllers, `connectToServer()`,
 * then `sendClientMessage()`. It reconnects like `createClient()`; a push
 * `{ type, action, data }` calls `controller[action](ws, clientId, data)` on
 * the controller named `type`.
 * @example
 * const client = new WebSocketClient({
 *   options: { url: 'ws://localhost:3000/ws', controllersDirectory: './controllers', events: {
 *     onConnected: ({ clientId }) => console.log('Connected:', clientId),
 *     onMessage: ({ data }) => console.log('Received:', data),
 *   } },
 * })
 * await client.load()
 * await client.connectToServer()
 * client.sendClientMessage({ type: 'chat', action: 'send', data: { text: 'Hello' } })
 */
export class WebSocketClient {
  readonly #init: WebSocketClientInit
  readonly #events: WebSocketClientEvents
  #controllers = new Map<string, ClientController>()
  #client: RoomcastClient | undefined
  #ws: WebSocketLike | undefined
  #clientId: string | undefined

  /** @throws {TypeError} for an unknown key, a missing `url` or `events`, or non-empty `routes`. */
  constructor(init: WebSocketClientInit) {
    assertKnownKeys(SCOPE, init, INIT_KEYS)
    const { options } = init
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`${SCOPE}: "options" must be an object`)
    }
    assertKnownKeys(SCOPE, options, OPTIONS_KEYS, 'options.')
    if (typeof options.url !== 'string') throw new TypeError(`${SCOPE}: "options.url" is required`)
    if (typeof options.events !== 'object' || options.events === null) {
      throw new TypeError(`${SCOPE}: "options.events" must be an object`)
    }
    assertKnownKeys(SCOPE, options.events, EVENTS_KEYS, 'options.events.')
    if (init.routes !== undefined && init.routes.length > 0) {
      throw new TypeError(`${SCOPE}: "routes" is not used; put controllers in controllersDirectory`)
    }
    this.#init = init
    this.#events = options.events
  }

  /**
   * Imports the controllers of `controllersDirectory` (none without it). A
   * class is built with `{ webSocketClient, applicationConfig, redisInstance,
   * queueManager, databaseInstance }`.
   */
  async load(): Promise<void> {
    const { controllersDirectory } = this.#init.options
    if (controllersDirectory === undefined) return
    const { applicationConfig, redisInstance, queueManager, databaseInstance } = this.#init
    this.#controllers = await loadControllers(controllersDirectory, {
      webSocketClient: this,
      applicationConfig,
      redisInstance,
      queueManager,
      databaseInstance,
    })
  }

  /**
   * Resolves once connected. Rejects when that attempt fails; a client that
   * never opened is then closed, so nothing keeps retrying behind the caller.
   */
  async connectToServer(): Promise<void> {
    if (this.#client === undefined || this.#client.state === 'closed') this.#client = this.#open()
    const client = this.#client
    if (client.state === 'open') return
    let lastError: Error | undefined
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        lastError = error
      }
      const onOpen = () => {
        stop()
        resolve()
      }
      const onClosed = ({ code }: { code: number }) => {
        stop()
        if (this.#clientId === undefined) void client.close()
        const url = this.#init.options.url
        reject(new Error(`${SCOPE}: could not connect to ${url} (${code})`, { cause: lastError }))
      }
      const stop = () => client.off('open', onOpen).off('closed', onClosed).off('error', onError)
      client.on('open', onOpen).on('closed', onClosed).on('error', onError)
    })
  }

  /**
   * Sends `JSON.stringify(message)`; `false` when it was dropped (see `send()`).
   * @throws {Error} before `connectToServer()`.
   */
  sendClientMessage(message: { type: string; action: string; data?: unknown }): boolean {
    if (this.#client === undefined) {
      throw new Error(`${SCOPE}: call connectToServer() before sendClientMessage()`)
    }
    return this.#client.json(message)
  }

  /** Closes for good (see the client's `close()`). */
  async close(code?: number, reason?: string): Promise<void> {
    await this.#client?.close(code, reason)
  }

  #open(): RoomcastClient {
    const { url, client: options = {} } = this.#init.options
    const Base: WebSocketConstructor = options.WebSocket ?? WebSocket
    const record = (socket: WebSocketLike) => {
      this.#ws = socket
    }
    // Seed 004 hands handlers the raw socket: record each one the client makes.
    const Recording = class extends Base {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols)
        record(this)
      }
    }
    const client = createClient(url, { ...options, WebSocket: Recording })
    client.on('open', ({ connectionId }) => {
      this.#clientId = connectionId
      this.#call(() => this.#events.onConnected({ ws: this.#socket(), clientId: connectionId }))
    })
    client.on('closed', () =>
      this.#call(() => this.#events.onDisconnected?.({ clientId: this.#clientId })),
    )
    client.on('error', (error) => this.#events.onError?.({ error }))
    client.on('message', (body) => this.#dispatch(typeof body === 'string' ? parsed(body) : body))
    return client
  }

  /** `onMessage`, then the controller named by `type`, if it has `action`. */
  #dispatch(data: unknown): void {
    const ws = this.#socket()
    const clientId = this.#clientId
    this.#call(() => this.#events.onMessage({ ws, clientId, data }))
    const { type, action } = (typeof data === 'object' && data !== null ? data : {}) as {
      type?: unknown
      action?: unknown
    }
    if (typeof type !== 'string' || typeof action !== 'string') return
    const controller = this.#controllers.get(type)
    const method = controller === undefined ? undefined : actionOf(controller, action)
    if (method === undefined) return
    const payload = (data as { data?: unknown }).data
    this.#call(() => method.call(controller, ws, clientId, payload))
  }

  /** Runs seed code; a throw or rejection goes to `onError`, never into the socket's callbacks. */
  #call(run: () => unknown): void {
    const report = (error: unknown) =>
      this.#events.onError?.({ error: error instanceof Error ? error : new Error(String(error)) })
    try {
      const result = run()
      if (isThenable(result)) result.then(undefined, report)
    } catch (error) {
      report(error)
    }
  }

  #socket(): WebSocketLike {
    if (this.#ws === undefined) throw new Error(`${SCOPE}: no socket yet`)
    return this.#ws
  }
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}
