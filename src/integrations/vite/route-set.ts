/** The routes one `wsHandlers` source registered: replaced as a whole, the old ones' connections closed with 1012. */
import { CloseCode } from '../../close-codes.js'
import type { RouteDefinition } from '../../routes/index.js'
import type { RoomcastServer } from '../../server/index.js'
import type { WSConnection } from '../../types.js'
import { prefixed } from './options.js'

const RELOADED = 'WebSocket handlers reloaded'

/** A route object under its full pattern, knowing the connections it opened. */
class TrackedRoute {
  /** What `wss.route()` gets: the handler's own fields, the prefixed pattern, a counting `onConnect`. */
  readonly definition: RouteDefinition
  readonly #open = new Set<WSConnection>()
  #retired = false

  constructor(handler: RouteDefinition, pattern: string) {
    const { onConnect } = handler
    this.definition = {
      ...handler,
      pattern,
      onConnect: (conn, request) => {
        // A handshake still verifying when its route was replaced lands on the old code.
        if (this.#retired) return conn.close(CloseCode.ServiceRestart, RELOADED)
        this.#open.add(conn)
        conn.on('close', () => this.#open.delete(conn))
        return onConnect?.(conn, request)
      },
    }
  }

  /** Closes the route's connections with 1012. @returns how many. */
  retire(): number {
    this.#retired = true
    const count = this.#open.size
    for (const conn of this.#open) conn.close(CloseCode.ServiceRestart, RELOADED)
    return count
  }
}

export class RouteSet {
  readonly #wss: RoomcastServer
  readonly #prefixes: readonly string[]
  #routes: TrackedRoute[] = []

  constructor(wss: RoomcastServer, prefixes: readonly string[]) {
    this.#wss = wss
    this.#prefixes = prefixes
  }

  /** Routes registered: each handler once per prefix. */
  get size(): number {
    return this.#routes.length
  }

  /**
   * Registers `handlers` under every prefix in place of the set's routes, all
   * or none: when the server refuses one, the previous routes are registered
   * again and the error is thrown. Then closes the previous routes'
   * connections with 1012, so their clients reconnect to the new code.
   * @returns how many connections were closed.
   * @throws {RoomcastError} what `wss.route()` throws, e.g. `ERR_DUPLICATE_ROUTE`.
   */
  replace(handlers: readonly RouteDefinition[]): number {
    const previous = this.#routes
    this.#unregister(previous)
    const next: TrackedRoute[] = []
    try {
      for (const handler of handlers) {
        for (const prefix of this.#prefixes) {
          const route = new TrackedRoute(handler, prefixed(prefix, handler.pattern))
          this.#wss.route(route.definition)
          next.push(route)
        }
      }
    } catch (error) {
      this.#unregister(next)
      for (const route of previous) this.#wss.route(route.definition)
      throw error
    }
    this.#routes = next
    return previous.reduce((closed, route) => closed + route.retire(), 0)
  }

  #unregister(routes: readonly TrackedRoute[]): void {
    for (const route of routes) this.#wss.removeRoute(route.definition.pattern)
  }
}
