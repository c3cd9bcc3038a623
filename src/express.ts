/**
 * roomcast for Express 4 and 5: upgrades routed by Express (its middleware
 * runs first and may refuse), `websocket()` route handlers, `wss.upgrade()`
 * for HTTP routes (`req.isWebSocket`, `req.wss`) and `withWebSocket()`.
 */
export {
  type ExpressApp,
  type ExpressHandler,
  type ExpressWebSocketRequest,
  expressUpgrades,
  websocket,
} from './integrations/express/upgrades.js'
export {
  type HttpApp,
  type WithWebSocketOptions,
  withWebSocket,
} from './integrations/with-websocket.js'
