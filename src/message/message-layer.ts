/**
 * The server's message layer: its controllers, the message listener of each
 * route object, and `on()` routes' listener once controllers exist.
 */
import { invokeHook, logSafely } from '../hooks.js'
import type { RouteDefinition } from '../routes/index.js'
import { routeObjectHandler } from '../routes/index.js'
import type { RoomcastServer } from '../server/index.js'
import type { Logger, RouteHandler, WSConnection } from '../types.js'
import type { ControllerRoute, DispatchDeps } from './controller-types.js'
import { ControllerRouter } from './controllers.js'
import { createMessageHandler, errorReply } from './message-handler.js'
import { exposedBody, internalErrorBody } from './reply.js'
import type { JsonLimits } from './safe-json.js'

type Deps = DispatchDeps<WSConnection, RoomcastServer>
type Listener = ReturnType<typeof createMessageHandler>

export interface MessageLayerOptions {
  server: RoomcastServer
  limits: JsonLimits
  logger: Logger
  /** The server's error reporting (`onError`, `error` listeners, logger). */
  reportError: (conn: WSConnection, error: Error) => void
  replyDropped: () => void
}

export class MessageLayer {
  readonly #options: MessageLayerOptions
  readonly #controllers = new ControllerRouter<WSConnection, RoomcastServer>()
  #active = false
  /** What controllers get, built once: without and with `fallthrough`. */
  readonly #deps: [Deps, Deps]
  #serverListener: Listener | undefined

  constructor(options: MessageLayerOptions) {
    this.#options = options
    const base = {
      server: options.server,
      reportError: options.reportError,
      replyDropped: options.replyDropped,
    }
    this.#deps = [
      { ...base, fallthrough: false },
      { ...base, fallthrough: true },
    ]
  }

  /** Whether any controller is registered. */
  get active(): boolean {
    return this.#active
  }

  addControllers(
    routes:
      | ControllerRoute<WSConnection, RoomcastServer>
      | readonly ControllerRoute<WSConnection, RoomcastServer>[],
  ): void {
    this.#controllers.add(routes)
    this.#active = true
  }

  /** The route handler a route object stands for: listeners, default room, `onConnect`. */
  routeHandler(def: RouteDefinition<unknown>): RouteHandler {
    const fail = this.#routeFailure(def)
    const messageListener = createMessageHandler({
      limits: this.#options.limits,
      transformRawData: def.transformRawData,
      responses: def.responses,
      controllers: this.#dispatch,
      controllersActive: () => this.#active,
      onMessage: def.onMessage,
      fail,
      replyDropped: this.#options.replyDropped,
    })
    return routeObjectHandler(def, { messageListener, fail, log: this.#logFailure })
  }

  /** The listener `on()` routes get once controllers exist: safe JSON, then controllers. */
  serverListener(): Listener {
    this.#serverListener ??= createMessageHandler({
      limits: this.#options.limits,
      transformRawData: undefined,
      responses: undefined,
      controllers: this.#dispatch,
      controllersActive: () => true,
      onMessage: undefined,
      fail: this.#options.reportError,
      replyDropped: this.#options.replyDropped,
    })
    return this.#serverListener
  }

  /** `fallthrough` leaves messages no controller knows to the route's `onMessage`. */
  readonly #dispatch = (conn: WSConnection, message: unknown, fallthrough: boolean) => {
    if (!this.#active) return false
    return this.#controllers.dispatch(conn, message, this.#deps[fallthrough ? 1 : 0])
  }

  readonly #logFailure = (failure: Error): void =>
    logSafely(this.#options.logger, 'error', 'roomcast: an onError handler threw', failure)

  /**
   * A route object's error policy: its `onError`, or else an error reply to
   * the client (the connection stays open) and the server's error reporting.
   * Only errors that opt in show their message; others say "Internal error".
   */
  #routeFailure(def: RouteDefinition<unknown>): (conn: WSConnection, error: Error) => void {
    const { onError } = def
    return (conn, error) => {
      if (onError !== undefined) {
        invokeHook(onError, [conn, error], this.#logFailure)
        return
      }
      const exposed = exposedBody(error)
      if (conn.isOpen) {
        const body = exposed ?? internalErrorBody
        conn.json(errorReply(body.code, body.message))
      }
      if (exposed === undefined) this.#options.reportError(conn, error)
    }
  }
}
