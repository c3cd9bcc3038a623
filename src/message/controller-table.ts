/** The router's table: route shape checks, duplicate detection, lazily built controller instances. */
import { assertKnownKeys } from '../options/index.js'
import { type ControllerConvention, callMethod, conventionOf } from './controller-convention.js'
import {
  anyMethod,
  declaredMethod,
  isController,
  knownMethods,
  type Method,
} from './controller-methods.js'
import type { ActionHandler, ControllerClass, ControllerConnection } from './controller-types.js'
import { isStandardSchema, type StandardSchemaV1 } from './schema.js'

/** Every key of every route form; seed 004's `controllerName` is accepted and unused. */
const ROUTE_KEYS: ReadonlySet<string> = new Set([
  'type',
  'action',
  'handler',
  'controller',
  'controllerName',
  'schema',
])

/** A registered action, ready to run. */
export interface Entry<Conn, Server> {
  readonly schema: StandardSchemaV1 | undefined
  readonly handler: ActionHandler<unknown, unknown, Conn, Server>
}

const FORMS =
  '{ type, action, handler, schema? }, { type, action, controller } or { type, controller }'

/** One controller class or object, instantiated at most once, when first needed. */
class ControllerRef<Server> {
  readonly target: object
  /** How its methods are called; a seed 004 base class says so with a static marker. */
  readonly convention: ControllerConvention
  #instance: object | undefined

  constructor(target: object) {
    this.target = target
    this.convention = conventionOf(target)
  }

  instance(server: Server): object {
    if (this.#instance === undefined) {
      this.#instance =
        typeof this.target === 'function'
          ? new (this.target as ControllerClass<Server>)(server)
          : this.target
    }
    return this.#instance
  }
}

/** Every method of a controller registered with `{ type, controller }`. */
interface TypeController<Conn, Server> {
  readonly ref: ControllerRef<Server>
  /** Names known before instantiation: prototype methods, an object's own functions. */
  readonly known: ReadonlySet<string>
  readonly resolved: Map<string, Entry<Conn, Server>>
}

interface Staged<Conn, Server> {
  readonly actions: Map<string, Map<string, Entry<Conn, Server>>>
  readonly types: Map<string, TypeController<Conn, Server>>
}

/** Routes by `type`, then `action`: nested maps, so a lookup builds no key string. */
export class ControllerTable<Conn extends ControllerConnection, Server> {
  readonly #actions = new Map<string, Map<string, Entry<Conn, Server>>>()
  readonly #types = new Map<string, TypeController<Conn, Server>>()
  /** One instance per controller class, however many routes name it. */
  readonly #refs = new Map<object, ControllerRef<Server>>()

  /**
   * Checks every route, then registers them all; nothing is registered when one fails.
   * @throws {TypeError} for a malformed route or a `type` + `action` already registered.
   */
  add(routes: unknown): void {
    const list: unknown[] = Array.isArray(routes) ? routes : [routes]
    const staged: Staged<Conn, Server> = { actions: new Map(), types: new Map() }
    for (const [index, route] of list.entries()) this.#stage(staged, route, index)
    for (const [type, actions] of staged.actions) {
      const target = this.#actions.get(type) ?? new Map<string, Entry<Conn, Server>>()
      for (const [action, entry] of actions) target.set(action, entry)
      this.#actions.set(type, target)
    }
    for (const [type, controller] of staged.types) this.#types.set(type, controller)
  }

  /**
   * The entry for `type` + `action`, or `undefined`.
   * @throws whatever a controller's constructor throws on first use.
   */
  lookup(type: string, action: string, server: Server): Entry<Conn, Server> | undefined {
    const entry = this.#actions.get(type)?.get(action)
    if (entry !== undefined) return entry
    const controller = this.#types.get(type)
    if (controller === undefined) return undefined
    const known = controller.resolved.get(action)
    if (known !== undefined) return known
    const instance = controller.ref.instance(server)
    const method = declaredMethod(instance, action)
    if (method === undefined) return undefined
    // Bounded by the controller's own methods: only names that resolved are cached.
    const { convention } = controller.ref
    const resolved: Entry<Conn, Server> = {
      schema: undefined,
      handler: (conn, data, ctx) => callMethod(convention, method, instance, conn, data, ctx),
    }
    controller.resolved.set(action, resolved)
    return resolved
  }

  #stage(staged: Staged<Conn, Server>, route: unknown, index: number): void {
    const parsed = parseRoute(route, index)
    const { type } = parsed
    if (parsed.action === undefined) {
      if (this.#types.has(type) || staged.types.has(type)) {
        throw routeError(index, `type "${type}" already has a controller`)
      }
      const ref = this.#ref(parsed.controller)
      const known = knownMethods(ref.target)
      for (const name of known) this.#assertFree(staged, type, name, index)
      staged.types.set(type, { ref, known, resolved: new Map() })
      return
    }
    const { action } = parsed
    this.#assertFree(staged, type, action, index)
    let handler: ActionHandler<unknown, unknown, Conn, Server>
    if (parsed.handler !== undefined) {
      handler = parsed.handler as ActionHandler<unknown, unknown, Conn, Server>
    } else {
      if (
        typeof parsed.controller === 'object' &&
        anyMethod(parsed.controller, action) === undefined
      ) {
        throw routeError(index, `the controller object has no method "${action}"`)
      }
      handler = this.#controllerHandler(parsed.controller, action)
    }
    const actions = staged.actions.get(type) ?? new Map<string, Entry<Conn, Server>>()
    actions.set(action, { schema: parsed.schema, handler })
    staged.actions.set(type, actions)
  }

  /** A handler calling `controller[name]`, resolved on first call (arrow properties need the instance). */
  #controllerHandler(
    controller: object,
    name: string,
  ): ActionHandler<unknown, unknown, Conn, Server> {
    const ref = this.#ref(controller)
    let method: Method | undefined
    return (conn, data, ctx) => {
      const instance = ref.instance(ctx.server)
      method ??= anyMethod(instance, name)
      if (method === undefined) {
        throw new TypeError(
          `controllers: ${ctx.type}.${ctx.action}: controller has no method "${name}"`,
        )
      }
      return callMethod(ref.convention, method, instance, conn, data, ctx)
    }
  }

  #assertFree(staged: Staged<Conn, Server>, type: string, action: string, index: number): void {
    const taken =
      this.#actions.get(type)?.has(action) === true ||
      staged.actions.get(type)?.has(action) === true ||
      this.#types.get(type)?.known.has(action) === true ||
      staged.types.get(type)?.known.has(action) === true
    if (taken) throw routeError(index, `"${type}" + "${action}" is already registered`)
  }

  #ref(target: object): ControllerRef<Server> {
    let ref = this.#refs.get(target)
    if (ref === undefined) {
      ref = new ControllerRef<Server>(target)
      this.#refs.set(target, ref)
    }
    return ref
  }
}

/** A route reduced to what the table stores: an action (handler or controller) or a whole controller. */
type ParsedRoute =
  | {
      type: string
      action: string
      schema: StandardSchemaV1 | undefined
      handler: (...args: never[]) => unknown
      controller?: undefined
    }
  | {
      type: string
      action: string
      schema: StandardSchemaV1 | undefined
      handler?: undefined
      controller: object
    }
  | { type: string; action?: undefined; controller: object }

function routeError(index: number, problem: string): TypeError {
  return new TypeError(`controllers: route ${index} must be ${FORMS}; ${problem}`)
}

function parseRoute(route: unknown, index: number): ParsedRoute {
  if (typeof route !== 'object' || route === null || Array.isArray(route)) {
    throw routeError(
      index,
      `got ${route === null ? 'null' : Array.isArray(route) ? 'an array' : typeof route}`,
    )
  }
  assertKnownKeys(route, ROUTE_KEYS, {
    object: 'controllers',
    scope: `controllers: route ${index}`,
  })
  const { type, action, handler, controller, schema } = route as Record<string, unknown>
  if (typeof type !== 'string' || type.length === 0) {
    throw routeError(index, 'type must be a non-empty string')
  }
  if (handler !== undefined && controller !== undefined) {
    throw routeError(index, 'give handler or controller, not both')
  }
  if (controller !== undefined && !isController(controller)) {
    throw routeError(index, 'controller must be a class or an object')
  }
  if (schema !== undefined && !isStandardSchema(schema)) {
    throw routeError(index, 'schema must implement Standard Schema v1 (zod 4, valibot, arktype…)')
  }
  if (action === undefined && controller !== undefined) {
    if (schema !== undefined) throw routeError(index, 'a schema belongs to one action: add action')
    return { type, controller }
  }
  if (typeof action !== 'string' || action.length === 0) {
    throw routeError(index, 'action must be a non-empty string')
  }
  if (controller !== undefined) return { type, action, schema, controller }
  if (typeof handler !== 'function') {
    throw routeError(
      index,
      handler === undefined ? 'handler or controller is missing' : 'handler must be a function',
    )
  }
  return { type, action, schema, handler: handler as (...args: never[]) => unknown }
}
