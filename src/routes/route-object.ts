/** Seed 002's declarative route objects: handlers and per-route options in one value. */
import type { IncomingMessage } from 'node:http'
import type { JwtAuth, SeedJwtAuth } from '../auth/index.js'
import type { SendStatus } from '../connection/index.js'
import { invokeHook } from '../hooks.js'
import type { ResponseRule } from '../message/index.js'
import {
  type AuthResult,
  assertKnownKeys,
  type HistoryOptions,
  keySet,
  type PerMessageDeflateOptions,
  type RateLimitOptions,
} from '../options/index.js'
import { assertRoomName } from '../rooms.js'
import type { WSConnection } from '../types.js'

/**
 * A connection as a route object's handlers see it: seed 002's `send()`,
 * which sends plain objects and arrays as JSON (strings and bytes as they are).
 */
export interface RouteConnection extends WSConnection {
  send(data: unknown): boolean
  trySend(data: unknown): SendStatus
}

/** A route registered with `wss.route()`; `In` is what `onMessage` receives. */
export interface RouteDefinition<In = unknown> {
  /** Path pattern: static, `:param` segments, or `*`. */
  pattern: string
  /** After the handshake; messages wait until it settles. A throw closes with 1011. */
  onConnect?: (conn: RouteConnection, request: IncomingMessage) => void
  /**
   * A message no response rule or controller took: parsed JSON when the text
   * frame is JSON, the string when it is not, a `Buffer` for binary frames, or
   * what `transformRawData` returns.
   */
  onMessage?: (conn: RouteConnection, data: In) => void
  /** `initiatedByClient` is `false` when this side closed or terminated the connection. */
  onClose?: (
    conn: RouteConnection,
    code: number,
    reason: string,
    initiatedByClient: boolean,
  ) => void
  /**
   * Errors of this route's handlers and sockets. Without it, a handler's error
   * is answered with `{ type: 'error', message }` and the connection stays open.
   */
  onError?: (conn: RouteConnection, error: Error) => void
  /** With it, pings are not answered automatically: call `conn.pong(data)`. */
  onPing?: (conn: RouteConnection, data: Buffer) => void
  onPong?: (conn: RouteConnection, data: Buffer) => void
  /** Replaces JSON parsing: text frames arrive as strings, binary frames as Buffers. */
  transformRawData?: (raw: string | Buffer, isBinary: boolean) => unknown
  /** Joined on connect, before `onConnect`. */
  defaultRoom?: string
  /** Runs after `verifyClient`: `false`, a throw or a rejection is HTTP 401; an object is an identity. */
  authenticate?: (request: IncomingMessage) => AuthResult | Promise<AuthResult>
  /** Token authentication for this route instead of the server's `auth`; `false` for none. */
  auth?: JwtAuth | SeedJwtAuth | false
  /** Ping this often (ms); terminated after 3 consecutive missed pongs. Replaces the server's heartbeat. */
  heartbeat?: number
  /** Close (1001) after this long (ms) without a message from the client. */
  inactivityTimeout?: number
  /** Close (1000) this long (ms) after opening. */
  maxLifetime?: number
  /** Subprotocols in preference order, instead of the server's. */
  subprotocols?: string[]
  /** permessage-deflate for this route, instead of the server's. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions
  /** Declarative answers; a message no rule matches goes to controllers, then `onMessage`. */
  responses?: Array<ResponseRule<In>>
  /** Largest message in bytes for this route (1009 past it). */
  maxPayload?: number
  rateLimit?: RateLimitOptions
  /**
   * A history rule added to the server's (whose own `history` is checked
   * first); rooms are server-wide, so it keeps the rooms it matches whoever
   * broadcasts to them.
   */
  history?: HistoryOptions
}

const RULE_KEYS = keySet<ResponseRule>({ match: true, response: true, broadcast: true })
const RULE_BROADCAST_KEYS = keySet<NonNullable<ResponseRule['broadcast']>>({
  room: true,
  includeSelf: true,
})

const HANDLER_KEYS = ['onConnect', 'onMessage', 'onClose', 'onError', 'onPing', 'onPong'] as const

const ROUTE_KEYS = keySet<RouteDefinition>({
  pattern: true,
  onConnect: true,
  onMessage: true,
  onClose: true,
  onError: true,
  onPing: true,
  onPong: true,
  transformRawData: true,
  defaultRoom: true,
  authenticate: true,
  auth: true,
  heartbeat: true,
  inactivityTimeout: true,
  maxLifetime: true,
  subprotocols: true,
  perMessageDeflate: true,
  responses: true,
  maxPayload: true,
  history: true,
  rateLimit: true,
})

/**
 * Checks the keys and the handler fields; option values are checked where
 * they are resolved.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for a key route objects do not have.
 */
export function assertRouteDefinition(value: unknown): asserts value is RouteDefinition {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError('wss.route() takes an object: { pattern, onConnect?, onMessage?, … }')
  }
  const def = value as Record<string, unknown>
  if (typeof def.pattern !== 'string') throw new TypeError('route: pattern must be a string')
  assertKnownKeys(def, ROUTE_KEYS, { object: 'route', scope: `route ${def.pattern}` })
  for (const key of [...HANDLER_KEYS, 'transformRawData', 'authenticate'] as const) {
    if (def[key] !== undefined && typeof def[key] !== 'function') {
      throw new TypeError(`route ${def.pattern}: ${key} must be a function`)
    }
  }
  if (def.defaultRoom !== undefined) assertRoomName(def.defaultRoom)
  if (def.responses !== undefined) {
    if (!Array.isArray(def.responses))
      throw new TypeError(`route ${def.pattern}: responses must be an array`)
    for (const rule of def.responses as unknown[]) {
      const r = rule as Partial<ResponseRule>
      if (typeof r?.match !== 'function' || !('response' in r)) {
        throw new TypeError(`route ${def.pattern}: each response rule needs match() and response`)
      }
      const scope = `route ${def.pattern}`
      assertKnownKeys(r, RULE_KEYS, { object: 'responseRule', path: 'responses[].', scope })
      if (typeof r.broadcast === 'object' && r.broadcast !== null) {
        const path = 'responses[].broadcast.'
        assertKnownKeys(r.broadcast, RULE_BROADCAST_KEYS, { object: 'responseRule', path, scope })
      }
    }
  }
}

export interface RouteObjectDeps {
  /** The route's message listener: parsing, responses, controllers, `onMessage`. */
  messageListener: (conn: WSConnection, raw: string | Buffer, isBinary: boolean) => void
  /** The route's error policy for handler failures. */
  fail: (conn: WSConnection, error: Error) => void
  /** Where failures of `onError` itself go. */
  log: (error: Error) => void
}

/**
 * The route handler a definition stands for: joins the default room, wires
 * the listeners, then runs `onConnect` (messages wait for it).
 */
export function routeObjectHandler<In>(
  def: RouteDefinition<In>,
  deps: RouteObjectDeps,
): (conn: WSConnection, request: IncomingMessage) => void {
  const { messageListener, fail } = deps
  return (conn, request) => {
    if (def.defaultRoom !== undefined) conn.join(def.defaultRoom)
    conn.on('message', (data, isBinary) => messageListener(conn, data, isBinary))
    const { onClose, onError, onPing, onPong } = def
    if (onClose !== undefined) {
      conn.on('close', (code, reason) =>
        invokeHook(onClose, [conn, code, reason, !conn.closedByServer], (e) => fail(conn, e)),
      )
    }
    // Socket errors (1002, 1007, 1009…) reach the route's onError as well as the server's.
    if (onError !== undefined)
      conn.on('error', (error) => invokeHook(onError, [conn, error], deps.log))
    if (onPing !== undefined)
      conn.on('ping', (data) => invokeHook(onPing, [conn, data], (e) => fail(conn, e)))
    if (onPong !== undefined)
      conn.on('pong', (data) => invokeHook(onPong, [conn, data], (e) => fail(conn, e)))
    // The server's startup awaits this and closes with 1011 if it throws.
    return def.onConnect?.(conn, request)
  }
}
