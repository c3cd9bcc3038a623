/**
 * Seed 001's (NextRush v2's) `WebSocketPluginOptions`: the plugin's own API,
 * with its names and defaults, turned into `createWebSocket()` options.
 */
import type { IncomingMessage } from 'node:http'
import { invalid } from '../options/checks.js'
import { assertKnownKeys, keySet } from '../options/known-keys.js'
import type { OriginPattern, WebSocketOptions } from '../options/options.js'

export interface WebSocketPluginOptions {
  /** Paths accepted besides those `app.ws()` registers; patterns allowed. @default '/ws' */
  path?: string | string[]
  /** Ping interval (ms); 0 disables the heartbeat. @default 30000 */
  heartbeatMs?: number
  /** Close a connection whose last pong is older than this (ms). @default 45000 */
  pongTimeoutMs?: number
  /** Open connections allowed; `Infinity` for no limit. @default 10000 */
  maxConnections?: number
  /** Largest message in bytes. @default 1048576 */
  maxMessageSize?: number
  /** Allowed origins; empty allows all. @default [] */
  allowOrigins?: OriginPattern[]
  /** Truthy (or a promise of it) accepts; falsy, a throw or a rejection is HTTP 401. */
  verifyClient?: (request: IncomingMessage) => unknown
  debug?: boolean
  /** roomcast's own server options, for what the plugin's names do not cover (rooms, history, auth…). */
  server?: WebSocketOptions
}

const PLUGIN_KEYS = keySet<WebSocketPluginOptions>({
  path: true,
  heartbeatMs: true,
  pongTimeoutMs: true,
  maxConnections: true,
  maxMessageSize: true,
  allowOrigins: true,
  verifyClient: true,
  debug: true,
  server: true,
})

/** NextRush v2's defaults, which differ from `createWebSocket()`'s. */
const PLUGIN_DEFAULTS = { path: '/ws', pongTimeoutMs: 45_000, maxConnections: 10_000 } as const

function truthy(
  verify: NonNullable<WebSocketPluginOptions['verifyClient']>,
): (request: IncomingMessage) => Promise<boolean> {
  return async (request) => Boolean(await verify(request))
}

/** The plugin's options as `createWebSocket()` options; a name in both places is refused. */
export function serverOptions(options: WebSocketPluginOptions): WebSocketOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('WebSocketPlugin', 'an options object', options)
  }
  assertKnownKeys(options, PLUGIN_KEYS, { object: 'WebSocketPlugin', scope: 'WebSocketPlugin' })
  const { server = {}, maxConnections = PLUGIN_DEFAULTS.maxConnections } = options
  if (maxConnections !== Number.POSITIVE_INFINITY && !Number.isInteger(maxConnections)) {
    throw invalid('WebSocketPlugin.maxConnections', 'an integer or Infinity', maxConnections)
  }
  const mapped: WebSocketOptions = {
    path: options.path ?? PLUGIN_DEFAULTS.path,
    // roomcast's 0 is NextRush's Infinity.
    maxConnections: maxConnections === Number.POSITIVE_INFINITY ? 0 : maxConnections,
    // roomcast's timeout must exceed the ping interval: a slower heartbeat stretches the default.
    clientTimeout:
      options.pongTimeoutMs ??
      Math.max(PLUGIN_DEFAULTS.pongTimeoutMs, 2 * (options.heartbeatMs ?? 0)),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatInterval: options.heartbeatMs }),
    ...(options.maxMessageSize === undefined ? {} : { maxPayload: options.maxMessageSize }),
    ...(options.allowOrigins === undefined ? {} : { allowedOrigins: options.allowOrigins }),
    // NextRush's verifyClient answers truthy or falsy: a user object it returns is not an identity.
    ...(options.verifyClient === undefined ? {} : { verifyClient: truthy(options.verifyClient) }),
    ...(options.debug === undefined ? {} : { debug: options.debug }),
  }
  for (const key of Object.keys(mapped)) {
    if (key in server) {
      throw invalid(`WebSocketPlugin.server.${key}`, "the plugin's own option instead", key)
    }
  }
  return { ...server, ...mapped }
}
