/** roomcast: rooms, broadcasting and route-based handlers on top of ws. */
export { CloseCode } from './close-codes.js'
export { ErrorCode, MaxRoomsExceededError, RoomcastError } from './errors.js'
export type { ConnectMiddleware, WebSocketAwareRequest } from './http-middleware.js'
export type {
  BackpressurePolicy,
  Compression,
  OriginPattern,
  PerMessageDeflateOptions,
  WebSocketOptions,
} from './options.js'
export { type BroadcastExclude, createWebSocket, RoomcastServer } from './server.js'
export type { WebSocketStats } from './stats.js'
export type {
  ConnectionEvent,
  ConnectionEvents,
  Logger,
  Middleware,
  RouteHandler,
  SendData,
  WSConnection,
} from './types.js'
export { type HttpApp, type WithWebSocketOptions, withWebSocket } from './with-websocket.js'
