/** How the router calls a controller's methods: roomcast's `(conn, data, ctx)` or seed 004's `(ws, clientId, data)`. */
import type { ActionContext, ControllerConnection } from './controller-types.js'

/** The calling conventions a controller class may choose. */
export const ControllerConvention = {
  /** `method(conn, data, ctx)`: roomcast's own. */
  Roomcast: 'roomcast',
  /** `method(ws, clientId, data, ctx)`: seed 004's `WebSocketServerBaseController`. */
  ClientIdData: 'clientIdData',
} as const

export type ControllerConvention = (typeof ControllerConvention)[keyof typeof ControllerConvention]

/**
 * A static property a controller class sets to choose its convention;
 * subclasses inherit it. Classes without it get {@link ControllerConvention.Roomcast}.
 */
export const controllerConvention: unique symbol = Symbol('roomcast.controllerConvention')

/** The convention of a controller class, or of a controller object's class. */
export function conventionOf(target: object): ControllerConvention {
  const holder: unknown =
    typeof target === 'function' ? target : Object.getPrototypeOf(target)?.constructor
  if (typeof holder !== 'function') return ControllerConvention.Roomcast
  const declared: unknown = (holder as { [controllerConvention]?: unknown })[controllerConvention]
  return declared === ControllerConvention.ClientIdData
    ? ControllerConvention.ClientIdData
    : ControllerConvention.Roomcast
}

/** Calls `method` on `instance` as `convention` says. */
export function callMethod<Server>(
  convention: ControllerConvention,
  method: (...args: unknown[]) => unknown,
  instance: object,
  conn: ControllerConnection,
  data: unknown,
  ctx: ActionContext<Server>,
): unknown {
  return convention === ControllerConvention.ClientIdData
    ? method.call(instance, conn, conn.id, data, ctx)
    : method.call(instance, conn, data, ctx)
}
