/** The server's subscribers for custom messages: dispatched with the server in context, failures logged. */
import {
  createSubscriberRegistry,
  type SubscriberDefinition,
  type SubscriberOptions,
  type SubscriberRegistry,
} from '../cluster/index.js'
import { pxlServer, type ServerSubscriberExtra } from '../compat/index.js'
import { logSafely } from '../hooks.js'
import type { Logger } from '../types.js'
import type { RoomcastServer } from './server.js'

export class ServerSubscribers {
  readonly #registry: SubscriberRegistry<ServerSubscriberExtra>

  constructor(logger: Logger) {
    this.#registry = createSubscriberRegistry({
      reportError: (error, failure) =>
        logSafely(
          logger,
          'error',
          `roomcast: subscriber "${failure.subscriber}" failed on channel "${failure.channel}" (${failure.phase})`,
          error,
        ),
    })
  }

  add(
    subscriber:
      | SubscriberDefinition<ServerSubscriberExtra>
      | SubscriberOptions<ServerSubscriberExtra>,
  ): void {
    this.#registry.add(subscriber)
  }

  remove(name: string): boolean {
    return this.#registry.remove(name)
  }

  /** Runs the matching subscribers with `server` and seed 004's `webSocketServer` in their context. */
  dispatch(channel: string, message: unknown, server: RoomcastServer): void {
    void this.#registry.dispatch(channel, message, {
      server,
      webSocketServer: pxlServer(server),
    })
  }
}
