/** The Fastify types roomcast adds: `{ websocket: true }` routes, `fastify.wss`, `request.isWebSocket`. */
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from 'fastify'
import type { RoomcastServer } from '../../server/index.js'
import type { WSConnection } from '../../types.js'

/**
 * The handler of a `{ websocket: true }` route: roomcast's connection, and
 * Fastify's request (its `params`, `query`, decorations). May be async:
 * messages wait for it, as for a `wss.on()` handler.
 */
export type WebSocketRouteHandler<
  RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
  RawServer extends RawServerBase = RawServerDefault,
  RawRequest extends
    RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
  SchemaCompiler extends FastifySchema = FastifySchema,
  TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
  ContextConfig = ContextConfigDefault,
  Logger extends FastifyBaseLogger = FastifyBaseLogger,
> = (
  this: FastifyInstance,
  conn: WSConnection,
  request: FastifyRequest<
    RouteGeneric,
    RawServer,
    RawRequest,
    SchemaCompiler,
    TypeProvider,
    ContextConfig,
    Logger
  >,
) => void | Promise<void>

declare module 'fastify' {
  interface RouteShorthandOptions {
    /** The route upgrades to a WebSocket (roomcast); plain HTTP requests to it get 426. */
    websocket?: boolean
  }

  interface FastifyInstance {
    /** The roomcast server behind the `{ websocket: true }` routes: rooms, broadcasts, stats. */
    wss: RoomcastServer
  }

  interface FastifyRequest {
    /** `true` when the request is a WebSocket upgrade routed through Fastify. */
    isWebSocket: boolean
  }

  /** The overload `{ websocket: true }` routes take, merged into Fastify's `get()`, `post()`, …. */
  interface RouteShorthandMethod<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends
      RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    // biome-ignore lint/style/useShorthandFunctionType: an overload merged into Fastify's interface
    <
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
    >(
      path: string,
      options: RouteShorthandOptions<
        RawServer,
        RawRequest,
        RawReply,
        RouteGeneric,
        ContextConfig,
        SchemaCompiler,
        TypeProvider,
        Logger
      > & { websocket: true },
      handler: WebSocketRouteHandler<
        RouteGeneric,
        RawServer,
        RawRequest,
        SchemaCompiler,
        TypeProvider,
        ContextConfig,
        Logger
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>
  }
}
