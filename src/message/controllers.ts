/** `ControllerRouter`: routes `{ type, action, data?, requestId? }` envelopes to handlers and sends their replies. */
import { toError } from '../errors.js'
import { isThenable } from '../hooks.js'
import type { RoomcastServer } from '../server/index.js'
import { ControllerTable, type Entry } from './controller-table.js'
import type {
  ActionContext,
  ControllerConnection,
  ControllerRoute,
  DispatchDeps,
} from './controller-types.js'
import { isEnvelope, type RequestId, requestIdOf } from './envelope.js'
import {
  type ErrorBody,
  errorReply,
  exposedBody,
  internalErrorBody,
  ReplyCode,
  resultReply,
} from './reply.js'
import { type Validation, validate } from './schema.js'

const INVALID_MESSAGE: ErrorBody = {
  code: ReplyCode.InvalidMessage,
  message: 'Invalid message format',
}
const UNKNOWN_ACTION: ErrorBody = {
  code: ReplyCode.UnknownAction,
  message: 'Unknown type or action',
}

/**
 * Routes controller messages (seed 004): each envelope goes to the handler
 * registered for its `type` + `action`, and the handler's result goes back to
 * the sender as `{ type, action, requestId, data }`.
 *
 * @example
 * const router = new ControllerRouter<WSConnection, RoomcastServer>()
 * router.add({ type: 'chat', action: 'send', handler: (conn, data) => ({ ok: true }) })
 * router.add({ type: 'chat', controller: ChatController })
 */
export class ControllerRouter<
  Conn extends ControllerConnection = ControllerConnection,
  Server = RoomcastServer,
> {
  readonly #table = new ControllerTable<Conn, Server>()

  /**
   * Registers routes: one or an array of `{ type, action, handler, schema? }`,
   * `{ type, action, controller }` or `{ type, controller }`. All or nothing.
   * @throws {TypeError} for a malformed route, or a `type` + `action` registered twice.
   */
  add(routes: ControllerRoute<Conn, Server> | readonly ControllerRoute<Conn, Server>[]): this {
    this.#table.add(routes)
    return this
  }

  /**
   * Handles one message (`JSON.parse`d value, string or Buffer). Returns
   * `true` once it is answered, `false` when `deps.fallthrough` is set and no
   * route takes it. A promise is returned only for async schemas or handlers;
   * it rejects only if `deps.reportError` or `deps.replyDropped` throws.
   */
  dispatch(
    conn: Conn,
    message: unknown,
    deps: DispatchDeps<Conn, Server>,
  ): boolean | Promise<boolean> {
    if (!isEnvelope(message)) {
      if (deps.fallthrough === true) return false
      const action = (message as { action?: unknown } | null)?.action
      send(
        conn,
        deps,
        errorReply(
          typeof action === 'string' ? action : undefined,
          requestIdOf(message),
          INVALID_MESSAGE,
        ),
      )
      return true
    }
    const { type, action, requestId } = message
    const ctx = new DispatchContext(type, action, requestId, deps.server, conn)
    let entry: Entry<Conn, Server> | undefined
    try {
      entry = this.#table.lookup(type, action, deps.server)
    } catch (error) {
      return fail(conn, deps, ctx, error)
    }
    if (entry === undefined) {
      if (deps.fallthrough === true) return false
      send(conn, deps, errorReply(action, requestId, UNKNOWN_ACTION))
      return true
    }
    if (entry.schema === undefined) return run(entry, conn, message.data, ctx, deps)
    let checked: Validation<unknown> | Promise<Validation<unknown>>
    try {
      checked = validate(entry.schema, message.data)
    } catch (error) {
      return fail(conn, deps, ctx, error)
    }
    const current = entry
    if (!isThenable(checked)) return runValidated(current, conn, checked, ctx, deps)
    return checked.then(
      (result) => runValidated(current, conn, result, ctx, deps),
      (error: unknown) => fail(conn, deps, ctx, error),
    )
  }
}

/** The `ctx` handlers get; `signal` is read only when asked, since the connection makes it lazily. */
class DispatchContext<Server> implements ActionContext<Server> {
  readonly type: string
  readonly action: string
  readonly requestId: RequestId | undefined
  readonly server: Server
  readonly #conn: ControllerConnection

  constructor(
    type: string,
    action: string,
    requestId: RequestId | undefined,
    server: Server,
    conn: ControllerConnection,
  ) {
    this.type = type
    this.action = action
    this.requestId = requestId
    this.server = server
    this.#conn = conn
  }

  get signal(): AbortSignal {
    return this.#conn.signal
  }
}

function runValidated<Conn extends ControllerConnection, Server>(
  entry: Entry<Conn, Server>,
  conn: Conn,
  checked: Validation<unknown>,
  ctx: ActionContext<Server>,
  deps: DispatchDeps<Conn, Server>,
): boolean | Promise<boolean> {
  if (checked.ok) return run(entry, conn, checked.value, ctx, deps)
  const body: ErrorBody = {
    code: ReplyCode.Validation,
    message: 'Invalid data',
    issues: checked.issues,
  }
  send(conn, deps, errorReply(ctx.action, ctx.requestId, body))
  return true
}

/** Calls the handler; a promise is made only when the handler returned one. */
function run<Conn extends ControllerConnection, Server>(
  entry: Entry<Conn, Server>,
  conn: Conn,
  data: unknown,
  ctx: ActionContext<Server>,
  deps: DispatchDeps<Conn, Server>,
): boolean | Promise<boolean> {
  let result: unknown
  try {
    result = entry.handler(conn, data, ctx)
  } catch (error) {
    return fail(conn, deps, ctx, error)
  }
  if (!isThenable(result)) return succeed(conn, deps, ctx, result)
  return Promise.resolve(result).then(
    (value) => succeed(conn, deps, ctx, value),
    (error: unknown) => fail(conn, deps, ctx, error),
  )
}

function succeed<Conn extends ControllerConnection, Server>(
  conn: Conn,
  deps: DispatchDeps<Conn, Server>,
  ctx: ActionContext<Server>,
  result: unknown,
): true {
  if (result === undefined) return true
  try {
    send(conn, deps, resultReply(ctx.type, ctx.action, ctx.requestId, result))
  } catch (error) {
    // The result could not be serialised (a cycle, a BigInt): the client still gets an answer.
    fail(conn, deps, ctx, error)
  }
  return true
}

/** Answers a failure: the error's own code if it opts in, else `ERR_INTERNAL` and a report. */
function fail<Conn extends ControllerConnection, Server>(
  conn: Conn,
  deps: DispatchDeps<Conn, Server>,
  ctx: ActionContext<Server>,
  error: unknown,
): true {
  let body = exposedBody(error)
  if (body === undefined) {
    body = internalErrorBody
    deps.reportError(conn, toError(error))
  }
  try {
    send(conn, deps, errorReply(ctx.action, ctx.requestId, body))
  } catch (sendError) {
    // Only exposed `details` can fail to serialise; fall back to the plain internal error.
    deps.reportError(conn, toError(sendError))
    send(conn, deps, errorReply(ctx.action, ctx.requestId, internalErrorBody))
  }
  return true
}

/** Sends `reply` unless the connection closed meanwhile, in which case the drop is counted. */
function send<Conn extends ControllerConnection, Server>(
  conn: Conn,
  deps: DispatchDeps<Conn, Server>,
  reply: unknown,
): void {
  if (conn.isOpen) conn.json(reply)
  else deps.replyDropped()
}

export type {
  ActionContext,
  ActionHandler,
  ActionRoute,
  ControllerActionRoute,
  ControllerClass,
  ControllerConnection,
  ControllerRoute,
  ControllerTypeRoute,
  DispatchDeps,
} from './controller-types.js'
export { type Envelope, isEnvelope, type RequestId } from './envelope.js'
export {
  type ErrorBody,
  type ErrorReply,
  ReplyCode,
  ReplyError,
  type ResultReply,
} from './reply.js'
