/** Shapes of controller routes, handlers and their context, shared by the router and its helpers. */
import type { RoomcastServer } from '../server/index.js'
import type { WSConnection } from '../types.js'
import type { RequestId } from './envelope.js'
import type { StandardSchemaV1 } from './schema.js'

/**
 * What the router needs of a connection. `WSConnection` fits; the router
 * depends on nothing more so it can be driven by any connection-like object.
 */
export interface ControllerConnection {
  readonly id: string
  /** Replies to a connection that is no longer open are dropped. */
  readonly isOpen: boolean
  /** Aborted on close; handed to handlers as `ctx.signal`. */
  readonly signal: AbortSignal
  json(value: unknown): boolean
  join(room: string): void
  leave(room: string): void
  getRooms(): string[]
  /** The server's `authorizeJoin` (roomcast connections have it). */
  mayJoin?(room: string): boolean | PromiseLike<boolean>
}

/** Third argument of every action handler. */
export interface ActionContext<Server = RoomcastServer> {
  readonly type: string
  readonly action: string
  /** As the client sent it; `undefined` when it sent none. */
  readonly requestId: RequestId | undefined
  /** Aborted when the connection closes: pass it to long async work. */
  readonly signal: AbortSignal
  readonly server: Server
}

/**
 * Answers one `type` + `action`. A result other than `undefined` (or a promise
 * of one) is sent back as `{ type, action, requestId, data: result }`; a throw
 * or rejection becomes an error reply.
 */
export type ActionHandler<
  Data = unknown,
  Result = unknown,
  Conn = WSConnection,
  Server = RoomcastServer,
> = (conn: Conn, data: Data, ctx: ActionContext<Server>) => Result | PromiseLike<Result>

/**
 * One action with its handler. Without `schema`, `data` is whatever the
 * client sent (`unknown`); use {@link defineAction} to type it from a schema.
 */
export interface ActionRoute<Conn = WSConnection, Server = RoomcastServer> {
  readonly type: string
  readonly action: string
  readonly handler: ActionHandler<unknown, unknown, Conn, Server>
  /** Any Standard Schema v1 validator (zod 4, valibot, arktype): invalid `data` → `ERR_VALIDATION`. */
  readonly schema?: StandardSchemaV1 | undefined
}

/**
 * A controller class: instantiated once, on first use, as `new Controller(server)`.
 * Its methods are called `(conn, data, ctx)`, or `(ws, clientId, data, ctx)` for
 * a class extending seed 004's `WebSocketServerBaseController`.
 */
export type ControllerClass<Server = RoomcastServer> = new (server: Server) => object

/**
 * One action answered by the method named `action` of a controller (seed 004).
 * `controller` is a class (see {@link ControllerClass}) or an object.
 */
export interface ControllerActionRoute<Server = RoomcastServer> {
  readonly type: string
  readonly action: string
  readonly controller: ControllerClass<Server> | object
  /** Accepted for seed 004 compatibility; roomcast does not use it. */
  readonly controllerName?: string | undefined
  readonly schema?: StandardSchemaV1 | undefined
}

/**
 * Every method of a controller as an action of `type`: the instance's own
 * function-valued properties (arrow functions included) and the methods its
 * class declares (inherited ones are not exposed), never `constructor`.
 */
export interface ControllerTypeRoute<Server = RoomcastServer> {
  readonly type: string
  readonly controller: ControllerClass<Server> | object
  /** Accepted for seed 004 compatibility; roomcast does not use it. */
  readonly controllerName?: string | undefined
}

/** Any form `ControllerRouter.add()` accepts. */
export type ControllerRoute<Conn = WSConnection, Server = RoomcastServer> =
  | ActionRoute<Conn, Server>
  | ControllerActionRoute<Server>
  | ControllerTypeRoute<Server>

/** What `dispatch()` needs from the server; one object per server, not per message. */
export interface DispatchDeps<Conn, Server = RoomcastServer> {
  readonly server: Server
  /**
   * When `true`, a message that is not an envelope or names no registered
   * action is left to the caller: `dispatch()` returns `false` and sends nothing.
   * @default false
   */
  readonly fallthrough?: boolean | undefined
  /** Receives what a handler threw when the client only got `ERR_INTERNAL`. */
  reportError(conn: Conn, error: Error): void
  /** Counts a reply dropped because its connection closed before it was ready. */
  replyDropped(): void
}
