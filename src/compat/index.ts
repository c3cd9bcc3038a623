/** Seed faces that do not belong on the core server. */

export {
  type ServiceMessage,
  WebSocketService,
  type WebSocketServiceOptions,
} from './websocket-service.js'
