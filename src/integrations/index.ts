/** Thin shells over the server for HTTP frameworks. */

export {
  type ConnectMiddleware,
  createUpgradeMiddleware,
  type WebSocketAwareRequest,
} from './http-middleware.js'
export {
  closeHttpServer,
  createHardenedServer,
  listenOn,
  slowlorisWarning,
  upgradeRequired,
} from './http-server.js'
export { type HttpApp, type WithWebSocketOptions, withWebSocket } from './with-websocket.js'
