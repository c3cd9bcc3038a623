/** Typed contracts: handlers typed from schemas or from a message map, and connections typed by what they send. */
import type { RoomcastServer } from '../server/index.js'
import type { WSConnection } from '../types.js'
import type { Contract, SpecData, SpecReply } from './contract.js'
import type { ActionContext, ActionHandler, ActionRoute } from './controller-types.js'
import type { RequestId } from './envelope.js'
import type { InferOutput, StandardSchemaV1 } from './schema.js'

export type { ActionSpec, Contract, SpecData, SpecReply } from './contract.js'

/** What a handler may return for reply type `R`: nothing when `R` is `undefined`. */
export type HandlerResult<R> = [R] extends [undefined]
  ? void | PromiseLike<void>
  : R | PromiseLike<R>

/** A handler bound to one action spec: `data` and the reply are checked against it. */
export type ContractHandler<S, Conn = WSConnection, Server = RoomcastServer> = (
  conn: Conn,
  data: SpecData<S>,
  ctx: ActionContext<Server>,
) => HandlerResult<SpecReply<S>>

/**
 * A contract action's implementation: a handler alone (the client's `data` is
 * trusted to match the contract, nothing checks it), or with a schema whose
 * output is the contract's `data` (checked; invalid data → `ERR_VALIDATION`).
 */
export type ContractAction<S, Conn = WSConnection, Server = RoomcastServer> =
  | ContractHandler<S, Conn, Server>
  | {
      schema: StandardSchemaV1<unknown, SpecData<S>>
      handler: ContractHandler<S, Conn, Server>
    }

/** Every action of contract `C`, by type then action. */
export type ContractControllers<C, Conn = WSConnection, Server = RoomcastServer> = {
  [T in keyof C & string]: {
    [A in keyof C[T] & string]: ContractAction<C[T][A], Conn, Server>
  }
}

/** Envelopes a client may send under contract `C`; `data` is optional where the contract declares none. */
export type ContractRequest<C> = {
  [T in keyof C & string]: {
    [A in keyof C[T] & string]: [SpecData<C[T][A]>] extends [undefined]
      ? { type: T; action: A; data?: undefined; requestId?: RequestId }
      : { type: T; action: A; data: SpecData<C[T][A]>; requestId?: RequestId }
  }[keyof C[T] & string]
}[keyof C & string]

/** Replies a client may receive under contract `C` (actions with a `reply`). */
export type ContractReply<C> = {
  [T in keyof C & string]: {
    [A in keyof C[T] & string]: [SpecReply<C[T][A]>] extends [undefined]
      ? never
      : { type: T; action: A; requestId?: RequestId; data: SpecReply<C[T][A]> }
  }[keyof C[T] & string]
}[keyof C & string]

/** A connection whose `json()` only takes `Out`, the union of messages the server sends. */
export type TypedConnection<Out, Conn = WSConnection> = Omit<Conn, 'json'> & {
  /** Sends `JSON.stringify(value)`; `false` when the connection is not open. */
  json(value: Out): boolean
}

/** A route as written with {@link defineAction}: with a schema, `data` is the schema's output. */
export interface TypedActionRoute<Data, Result, Conn, Server> {
  readonly type: string
  readonly action: string
  readonly handler: ActionHandler<Data, Result, Conn, Server>
}

/**
 * Declares one action, typing the handler's `data` from `schema` (zod 4,
 * valibot, arktype…). Identity at runtime.
 *
 * @example
 * defineAction({
 *   type: 'chat', action: 'send', schema: z.object({ text: z.string() }),
 *   handler: (conn, data) => ({ length: data.text.length }),
 * })
 */
export function defineAction<
  S extends StandardSchemaV1,
  Result = unknown,
  Conn = WSConnection,
  Server = RoomcastServer,
>(
  route: TypedActionRoute<InferOutput<S>, Result, Conn, Server> & { readonly schema: S },
): ActionRoute<Conn, Server>
export function defineAction<Result = unknown, Conn = WSConnection, Server = RoomcastServer>(
  route: TypedActionRoute<unknown, Result, Conn, Server>,
): ActionRoute<Conn, Server>
export function defineAction<Conn, Server>(
  route: TypedActionRoute<never, unknown, Conn, Server> & { readonly schema?: StandardSchemaV1 },
): ActionRoute<Conn, Server> {
  return route as ActionRoute<Conn, Server>
}

/**
 * Turns a contract's implementation into routes for `ControllerRouter.add()`.
 * A wrong `data` use or a wrong reply type does not compile.
 *
 * @example
 * router.add(defineControllers<ChatContract>({
 *   chat: { send: (conn, data) => ({ messageId: data.text.length }) },
 * }))
 */
export function defineControllers<
  C extends Contract<C>,
  Conn = WSConnection,
  Server = RoomcastServer,
>(controllers: ContractControllers<C, Conn, Server>): ActionRoute<Conn, Server>[] {
  const routes: ActionRoute<Conn, Server>[] = []
  for (const [type, actions] of Object.entries<Record<string, unknown>>(controllers)) {
    for (const [action, implementation] of Object.entries(actions)) {
      // The router checks each route's shape; here a bare function is the handler.
      routes.push(
        (typeof implementation === 'function'
          ? { type, action, handler: implementation }
          : { type, action, ...(implementation as object) }) as ActionRoute<Conn, Server>,
      )
    }
  }
  return routes
}
