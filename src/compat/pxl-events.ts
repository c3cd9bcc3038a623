/** Seed 004's (PXL's) cross-worker event names, as roomcast custom-message channels. */

/**
 * Seed 004's `WebSocketRedisSubscriberEvent`: channel names for subscribers.
 * roomcast publishes on `Custom` for `sendCustomMessage({ data })`; the others
 * are names only (roomcast syncs connections, rooms and broadcasts itself),
 * free for an application to publish on with `wss.publish(channel, message)`.
 */
export const WebSocketRedisSubscriberEvent = {
  ClientConnected: 'clientConnected',
  ClientDisconnected: 'clientDisconnected',
  ClientJoinedRoom: 'clientJoinedRoom',
  ClientLeftRoom: 'clientLeftRoom',
  SendMessageToAll: 'sendMessageToAll',
  DisconnectClient: 'disconnectClient',
  MessageError: 'messageError',
  QueueJobCompleted: 'queueJobCompleted',
  QueueJobError: 'queueJobError',
  Custom: 'custom',
} as const

export type WebSocketRedisSubscriberEvent =
  (typeof WebSocketRedisSubscriberEvent)[keyof typeof WebSocketRedisSubscriberEvent]
