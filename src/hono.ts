/**
 * roomcast for Hono on @hono/node-server: `upgradeWebSocket()` routes beside
 * HTTP ones, behind Hono's middleware, over one roomcast server.
 */
export type {
  WebSocketCloseEvent,
  WebSocketErrorEvent,
  WebSocketEvents,
  WebSocketMessageEvent,
  WebSocketOpenEvent,
} from './integrations/hono/events.js'
export {
  createNodeWebSocket,
  type FetchApp,
  type NodeServer,
  type NodeWebSocket,
  type NodeWebSocketInit,
  type UpgradeBindings,
} from './integrations/hono/node-websocket.js'
