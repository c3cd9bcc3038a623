/** roomcast: rooms, broadcasting and route-based handlers on top of ws. */
export { CloseCode } from './close-codes.ts'
export { ErrorCode, MaxRoomsExceededError, RoomcastError } from './errors.ts'
export type { ConnectMiddleware, WebSocketAwareRequest } from './http-middleware.ts'
export type { OriginPattern, PerMessageDeflateOptions, WebSocketOptions } from './options.ts'
export { type BroadcastExclude, createWebSocket, RoomcastServer } from './server.ts'
export type { WebSocketStats } from './stats.ts'
export type {
  ConnectionEvent,
  ConnectionEvents,
  Logger,
  Middleware,
  RouteHandler,
  SendData,
  WSConnection,
} from './types.ts'
export { type HttpApp, type WithWebSocketOptions, withWebSocket } from './with-websocket.ts'
