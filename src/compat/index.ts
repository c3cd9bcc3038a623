/** Seed faces that do not belong on the core server. */

export {
  type BaseControllerInit,
  WebSocketServerBaseController,
} from './base-controller.js'
export { WebSocketRedisSubscriberEvent } from './pxl-events.js'
export {
  isPxlServer,
  type PxlClient,
  type PxlClientManager,
  type PxlJoinRoomOptions,
  type PxlRooms,
  type PxlServer,
  type PxlUser,
  pxlServer,
} from './pxl-server.js'
export {
  defineWebSocketSubscriber,
  type PxlMessage,
  type PxlSubscriberContext,
  type PxlSubscriberExtra,
  type ServerSubscriberExtra,
} from './pxl-subscribers.js'
export {
  type ServiceMessage,
  WebSocketService,
  type WebSocketServiceOptions,
} from './websocket-service.js'
