/** Seed 004's subscribers: the context a server dispatches with, and `defineWebSocketSubscriber`. */
import {
  defineSubscriber,
  type SubscriberContext,
  type SubscriberDefinition,
  type SubscriberOptions,
} from '../cluster/index.js'
import type { RoomcastServer } from '../server/index.js'
import type { PxlServer } from './pxl-server.js'

/** What a roomcast server adds to every subscriber's context: itself, and seed 004's face of it. */
export interface ServerSubscriberExtra {
  readonly server: RoomcastServer
  /** Seed 004's `webSocketServer` (see `pxlServer`). */
  readonly webSocketServer: PxlServer
}

/**
 * A published message as seed 004's subscribers read it: properties read
 * directly (`message.type`), each `unknown`. Nothing checks that shape at
 * run time: a message that is not an object reads as `undefined` everywhere
 * (or throws on `null`, which the server reports as the subscriber's failure).
 */
export type PxlMessage = { readonly [key: string]: unknown }

/** What {@link defineWebSocketSubscriber} adds to the context: the server's extra, the message typed for reads. */
export type PxlSubscriberExtra = ServerSubscriberExtra & { readonly message: PxlMessage }

/**
 * The context of a {@link defineWebSocketSubscriber} handler, for handlers
 * written apart from it (seed 004's `const handler = async ({ message, webSocketServer }) => …`).
 */
export type PxlSubscriberContext = SubscriberContext<PxlSubscriberExtra>

/**
 * Seed 004's `defineWebSocketSubscriber`: `defineSubscriber` for a roomcast
 * server's subscribers, with `webSocketServer` in the context and the message
 * typed for direct reads. Register the result with `wss.subscribe()`.
 * @throws as `defineSubscriber` does.
 * @example
 * wss.subscribe(defineWebSocketSubscriber({
 *   channel: WebSocketRedisSubscriberEvent.Custom,
 *   handle: ({ message, webSocketServer }) => webSocketServer.sendMessageToAll({ data: message }),
 * }))
 */
export function defineWebSocketSubscriber(
  options: SubscriberOptions<PxlSubscriberExtra>,
): SubscriberDefinition<ServerSubscriberExtra> {
  // The one cast of the face: the message arrives as published, typed as seed 004 reads it.
  return defineSubscriber<PxlSubscriberExtra>(
    options,
  ) as unknown as SubscriberDefinition<ServerSubscriberExtra>
}
