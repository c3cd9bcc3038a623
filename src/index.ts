/** roomcast: rooms, broadcasting and route-based handlers on top of ws. */

export { createInProcessBus, type InProcessBus } from './adapter/bus.js'
export { ClusterAdapter, type ClusterAdapterOptions } from './adapter/cluster.js'
export {
  createEmitter,
  type Emitter,
  EmitterOperator,
  type EmitterOptions,
} from './adapter/emitter.js'
export { AdapterError, AdapterErrorCode } from './adapter/errors.js'
export { MemoryAdapter } from './adapter/memory.js'
export type { Transport, TransportStatus } from './adapter/transport.js'
export type {
  Adapter,
  AdapterHealth,
  AdapterHost,
  ClusterAnswers,
  ClusterQuery,
  ClusterResult,
  ConnectionInfo,
  NodeError,
  NodeStatus,
  PresenceEntry,
  PresenceEvent,
  WireTarget,
} from './adapter/types.js'
export {
  type JwsAlgorithm,
  type JwtAuth,
  type JwtOptions,
  jwt,
  type SeedJwtAuth,
  type TokenSource,
} from './auth/jwt.js'
export {
  WebSocketClient,
  type WebSocketClientEvents,
  type WebSocketClientInit,
  type WebSocketClientOptions,
} from './client/pxl-client.js'
export { CloseCode } from './close-codes.js'
export type { ClusterReply, ClusterTarget } from './cluster/queries.js'
export {
  composeHandlers,
  matchByProperty,
  matchByPropertyPredicate,
  withErrorHandler,
  withFilter,
  withLogging,
  withRateLimit,
  withRetry,
  withValidation,
} from './cluster/subscriber-helpers.js'
export {
  loggingMiddleware,
  rateLimitMiddleware,
  timingMiddleware,
} from './cluster/subscriber-middleware.js'
export type { DispatchReport, SubscriberResult } from './cluster/subscriber-registry.js'
export {
  type ChannelPredicate,
  defineSubscriber,
  type RegisteredSubscriber,
  type SubscriberContext,
  type SubscriberDefinition,
  type SubscriberHandler,
  type SubscriberMatcher,
  type SubscriberMiddleware,
  type SubscriberOptions,
} from './cluster/subscribers.js'
export { type BaseControllerInit, WebSocketServerBaseController } from './compat/base-controller.js'
export { WebSocketRedisSubscriberEvent } from './compat/pxl-events.js'
export {
  type PxlClient,
  type PxlClientManager,
  type PxlJoinRoomOptions,
  type PxlRooms,
  type PxlServer,
  type PxlUser,
  pxlServer,
} from './compat/pxl-server.js'
export {
  defineWebSocketSubscriber,
  type PxlMessage,
  type PxlSubscriberContext,
  type PxlSubscriberExtra,
  type ServerSubscriberExtra,
} from './compat/pxl-subscribers.js'
export {
  type WebSocketApp,
  WebSocketPlugin,
  type WebSocketPluginOptions,
  type WebSocketPluginStats,
  type WSHandler,
  type WSMiddleware,
  type WSRoomManager,
} from './compat/websocket-plugin.js'
export {
  type ServiceMessage,
  WebSocketService,
  type WebSocketServiceOptions,
} from './compat/websocket-service.js'
export { SendStatus } from './connection/send-status.js'
export type { UpgradeRequest } from './connection/upgrade-request.js'
export { ErrorCode, MaxRoomsExceededError, RoomcastError } from './errors.js'
export type { ConnectMiddleware, WebSocketAwareRequest } from './integrations/http-middleware.js'
export {
  type HttpApp,
  type WithWebSocketOptions,
  withWebSocket,
} from './integrations/with-websocket.js'
export type {
  ActionContext,
  ActionHandler,
  ActionRoute,
  ControllerActionRoute,
  ControllerClass,
  ControllerRoute,
  ControllerTypeRoute,
} from './message/controller-types.js'
export type { Envelope, RequestId } from './message/envelope.js'
export type { ResponseFunction, ResponseRule, ResponseValue } from './message/message-handler.js'
export { type ErrorReply, ReplyError, type ResultReply } from './message/reply.js'
export type {
  InferInput,
  InferOutput,
  StandardSchemaV1,
  ValidationIssue,
} from './message/schema.js'
export {
  type RoomReply,
  type RoomRequest,
  type SystemControllerOptions,
  systemController,
} from './message/system-controller.js'
export {
  type ActionSpec,
  type Contract,
  type ContractControllers,
  type ContractReply,
  type ContractRequest,
  defineAction,
  defineControllers,
  type TypedConnection,
} from './message/typed.js'
export type { HandshakeRateOptions } from './options/ip-limits.js'
export type {
  AuthResult,
  BackpressurePolicy,
  Compression,
  DisconnectInactiveClientsOptions,
  OriginPattern,
  PerMessageDeflateOptions,
  RateLimitOptions,
  WebSocketOptions,
} from './options/options.js'
export type { Behaviour } from './routes/behaviour.js'
export type { RouteConnection, RouteDefinition } from './routes/route-object.js'
export type { RevokeTarget } from './server/cluster-api.js'
export {
  type BroadcastExclude,
  createWebSocket,
  type DrainOptions,
  type HealthHandler,
  type HealthProbe,
  type RetryAdviceOptions,
  RoomcastServer,
  type ServerEvents,
  type ServerHealth,
  type ShutdownOptions,
  type SignalShutdownOptions,
} from './server/server.js'
export type { WebSocketStats } from './server/stats.js'
export type {
  AuthenticatedUser,
  ConnectionEvent,
  ConnectionEvents,
  Identity,
  JoinOptions,
  Logger,
  Middleware,
  RoutedUpgrade,
  RouteHandler,
  SendData,
  WSConnection,
} from './types.js'
