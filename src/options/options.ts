/** createWebSocket() options: types with their defaults, and the one place they are checked. */
import type { IncomingMessage } from 'node:http'
import type { Adapter } from '../adapter/index.js'
import { type JwtAuth, resolveAuth, type SeedJwtAuth } from '../auth/jwt.js'
import { ErrorCode, RoomcastError } from '../errors.js'
import type { Identity, Logger, WSConnection } from '../types.js'
import { count, duration, invalid, MAX_TIMER_DELAY } from './checks.js'
import {
  type Compression,
  type PerMessageDeflateOptions,
  resolveCompression,
} from './compression.js'
import {
  type HistoryOptions,
  type HistoryRule,
  type OfflineQueueOptions,
  type RecoveryOptions,
  type ResolvedRecovery,
  resolveHistory,
  resolveOfflineQueue,
  resolveRecovery,
} from './durability.js'
import { type HandshakeRateOptions, type IpLimitOptions, resolveIpLimits } from './ip-limits.js'
import { assertKnownKeys, keySet } from './known-keys.js'
import {
  type DisconnectInactiveClientsOptions,
  type RateLimitOptions,
  type ResolvedRateLimit,
  resolveInactivity,
  resolveRateLimit,
} from './limits.js'

export type { Compression, PerMessageDeflateOptions } from './compression.js'
export type {
  HistoryOptions,
  HistoryRule,
  OfflineQueueOptions,
  RecoveringConnection,
  RecoveryOptions,
  ResolvedRecovery,
  RoomSelector,
  SessionSnapshot,
} from './durability.js'
export type {
  DisconnectInactiveClientsOptions,
  RateLimitOptions,
  ResolvedRateLimit,
} from './limits.js'

/** What happens to a connection whose unsent data would pass `maxBackpressure`. */
export type BackpressurePolicy = 'drop' | 'close'

/** What `verifyClient` and a route's `authenticate` decide: accept, reject, or accept as someone. */
export type AuthResult = boolean | Identity

/** An allowed origin: exact string, string with `*` wildcards, or a RegExp. */
export type OriginPattern = string | RegExp

export interface WebSocketOptions {
  /** Paths accepted besides those registered with `wss.on()`; patterns allowed. @default ['/'] */
  path?: string | string[]
  /** Largest message in bytes; a larger one closes the connection with 1009. 0 = no limit. @default 1048576 */
  maxPayload?: number
  /**
   * Most frames one message may arrive in; more close the connection with
   * 1008. Each fragment is held until the message completes, so this bounds
   * that bookkeeping. ws's default: a 4 MiB message in 64-byte fragments
   * (Autobahn case 9.4.1) needs 65536. 0 = no limit. @default 16384
   */
  maxFragments?: number
  /** Ping every connection this often (ms); 0 disables the heartbeat. @default 30000 */
  heartbeatInterval?: number
  /**
   * Terminate a connection whose last pong is older than this (ms); must exceed
   * `heartbeatInterval`. @default 60000, or twice `heartbeatInterval` when that is larger
   */
  clientTimeout?: number
  /** Open connections allowed at once; more handshakes get HTTP 503. 0 = unlimited. @default 0 */
  maxConnections?: number
  /** Open connections (and handshakes in flight) allowed from one address; more get HTTP 429. 0 = unlimited. @default 0 */
  maxConnectionsPerIp?: number
  /** Handshakes per second allowed from one address (`perIp`) and in all (`perSecond`); more get HTTP 429. @default off */
  handshakeRate?: HandshakeRateOptions
  /**
   * Proxies in front of the server whose `X-Forwarded-For` entries are
   * believed, for the per-address limits: `true` is one; `false` uses the
   * socket's address. @default false
   */
  trustProxy?: boolean | number
  /** Rooms one connection may be in. 0 = unlimited. @default 100 */
  maxRoomsPerConnection?: number
  /** Origins allowed to connect; empty allows all, non-empty rejects a missing Origin. @default [] */
  allowedOrigins?: OriginPattern | OriginPattern[]
  /** permessage-deflate: `true` for `ws` defaults, or parameters. @default false */
  perMessageDeflate?: boolean | PerMessageDeflateOptions
  /**
   * Compression strategy; setting `'shared'` or `'dedicated'` turns
   * permessage-deflate on. @default 'shared' when deflate is on (`'dedicated'`
   * if `perMessageDeflate.serverNoContextTakeover` is `false`), else 'disabled'
   */
  compression?: Compression
  /** Subprotocols in server preference order; the first one the client offers is selected. */
  subprotocols?: string[]
  /**
   * Subprotocols another `upgrade` listener on the same http server owns (a
   * dev server's HMR: `vite-hmr`, `vite-ping`): a handshake offering one is
   * left to it whatever the path, or refused with 404 when no other listener
   * exists. @default []
   */
  ignoreProtocols?: string[]
  /**
   * Accept (`true`) or reject with HTTP 401 (`false`, throw, rejection) before
   * the upgrade; an object `{ userId?, metadata? }` accepts and becomes
   * `conn.userId` and the start of `conn.metadata`.
   */
  verifyClient?: (request: IncomingMessage) => AuthResult | Promise<AuthResult>
  /**
   * Token authentication for the connection's whole life: `jwt({ … })`, or
   * seed 004's `{ jwtSecretKey }` (HS256 from `?token=`, checked when
   * given). A refused token is HTTP 401; `verifyClient` runs after it.
   */
  auth?: JwtAuth | SeedJwtAuth
  /**
   * Whether `conn` may join `room`, for every way in: `system.joinRoom`,
   * recovery restores, and `conn.join(room, { authorize: true })`. `false`
   * or a throw refuses. @default every room is allowed
   */
  authorizeJoin?: (conn: WSConnection, room: string) => boolean | Promise<boolean>
  /** Bound on an async `verifyClient` (ms); past it the handshake gets HTTP 503. @default 10000 */
  handshakeTimeout?: number
  /** Bytes of client messages held (at least 1) while middleware and the handler run; past it, close 1008. @default 1048576 */
  maxQueuedBytes?: number
  /** How long `wss.close()` and `conn.close()` wait for the closing handshake before terminating (ms). @default 5000 */
  closeTimeout?: number
  /**
   * Bytes a connection may have buffered but not yet written to the kernel;
   * a message that would pass it is handled by `backpressurePolicy`. @default 1048576
   */
  maxBackpressure?: number
  /**
   * Past `maxBackpressure`: `'drop'` skips the message for that connection only
   * (counted in stats), `'close'` closes it with 1013 (seed 003's
   * `closeOnBackpressureLimit: true`). @default 'drop'
   */
  backpressurePolicy?: BackpressurePolicy
  /** Close a connection (1001) after this long (ms) without a message from it; 0 = never. @default 0 */
  inactivityTimeout?: number
  /** Close a connection (1000) this long (ms) after it opened; 0 = never. @default 0 */
  maxLifetime?: number
  /** Seed 004's form of `inactivityTimeout`; give one or the other. */
  disconnectInactiveClients?: DisconnectInactiveClientsOptions
  /** Per-connection message rate limit; routes may set their own. */
  rateLimit?: RateLimitOptions
  /** Deepest nesting a JSON message may have (message layer). @default 64 */
  maxJsonDepth?: number
  /** Most object keys a JSON message may have in all (message layer). @default 10000 */
  maxJsonKeys?: number
  /**
   * Membership and delivery: the in-memory adapter by default (one process);
   * a cluster adapter (`roomcast/redis`) spreads rooms and broadcasts over nodes.
   */
  adapter?: Adapter
  /** Bound on cluster-wide requests (ms); nodes that miss it are listed as errors. @default the adapter's (5000) */
  requestTimeout?: number
  /** Keeps each matching room's recent broadcasts, for late joiners and recovery. @default off */
  history?: HistoryOptions
  /** Restores a roomcast client that reconnects within `maxDisconnection` ms, on any node. @default off */
  recovery?: RecoveryOptions
  /** Queues messages to users with no connection anywhere, delivered when they next connect. @default off */
  offlineQueue?: OfflineQueueOptions
  onConnection?: (conn: WSConnection) => void
  onClose?: (conn: WSConnection, code: number, reason: string) => void
  onError?: (conn: WSConnection, error: Error) => void
  /** Receives what roomcast cannot hand to the application. @default console */
  logger?: Logger
  /**
   * Logs each accepted handshake, each refused one with its status and reason,
   * joins, leaves and closes through `logger.debug` (else `info`, else `warn`).
   * @default false
   */
  debug?: boolean
}

/** Options after defaults, in the shapes the modules use. */
export interface ResolvedOptions {
  paths: string[]
  maxPayload: number
  maxFragments: number
  heartbeatInterval: number
  clientTimeout: number
  maxConnections: number
  ipLimits: IpLimitOptions
  maxRoomsPerConnection: number
  allowedOrigins: OriginPattern[]
  perMessageDeflate: boolean | PerMessageDeflateOptions
  compression: Compression
  /** Messages shorter than this many bytes are not compressed. */
  deflateThreshold: number
  subprotocols: string[]
  ignoreProtocols: string[]
  verifyClient: WebSocketOptions['verifyClient']
  auth: JwtAuth | undefined
  authorizeJoin: WebSocketOptions['authorizeJoin']
  handshakeTimeout: number
  maxQueuedBytes: number
  closeTimeout: number
  maxBackpressure: number
  backpressurePolicy: BackpressurePolicy
  inactivityTimeout: number
  /** Minimum sweep period asked for by `disconnectInactiveClients.intervalCheckTime`; 0 = none. */
  inactivityCheckInterval: number
  logInactivity: boolean
  maxLifetime: number
  rateLimit: ResolvedRateLimit | undefined
  maxJsonDepth: number
  maxJsonKeys: number
  adapter: Adapter | undefined
  requestTimeout: number | undefined
  history: HistoryRule | undefined
  recovery: ResolvedRecovery | undefined
  offlineQueue: OfflineQueueOptions | undefined
  onConnection: WebSocketOptions['onConnection']
  onClose: WebSocketOptions['onClose']
  onError: WebSocketOptions['onError']
  logger: Logger
  debug: boolean
}

export const defaultOptions = {
  path: ['/'],
  maxPayload: 1_048_576,
  maxFragments: 16_384,
  heartbeatInterval: 30_000,
  clientTimeout: 60_000,
  maxConnections: 0,
  maxRoomsPerConnection: 100,
  handshakeTimeout: 10_000,
  maxQueuedBytes: 1_048_576,
  closeTimeout: 5_000,
  maxBackpressure: 1_048_576,
  backpressurePolicy: 'drop',
  inactivityTimeout: 0,
  maxLifetime: 0,
  maxJsonDepth: 64,
  maxJsonKeys: 10_000,
} as const satisfies WebSocketOptions

/** Every key `createWebSocket()` takes; any other is refused. */
const WEBSOCKET_OPTION_KEYS = keySet<WebSocketOptions>({
  path: true,
  maxPayload: true,
  maxFragments: true,
  heartbeatInterval: true,
  clientTimeout: true,
  maxConnections: true,
  maxConnectionsPerIp: true,
  handshakeRate: true,
  trustProxy: true,
  maxRoomsPerConnection: true,
  allowedOrigins: true,
  perMessageDeflate: true,
  compression: true,
  subprotocols: true,
  ignoreProtocols: true,
  verifyClient: true,
  auth: true,
  authorizeJoin: true,
  handshakeTimeout: true,
  maxQueuedBytes: true,
  closeTimeout: true,
  maxBackpressure: true,
  backpressurePolicy: true,
  inactivityTimeout: true,
  maxLifetime: true,
  disconnectInactiveClients: true,
  rateLimit: true,
  maxJsonDepth: true,
  maxJsonKeys: true,
  adapter: true,
  requestTimeout: true,
  history: true,
  recovery: true,
  offlineQueue: true,
  onConnection: true,
  onClose: true,
  onError: true,
  logger: true,
  debug: true,
})

type DefaultedCount = Exclude<keyof typeof defaultOptions, 'path' | 'backpressurePolicy'>

/** An integer option with its documented default. */
function option(
  name: DefaultedCount,
  given: unknown,
  bounds?: { min?: number; max?: number },
): number {
  return count(name, given, bounds, defaultOptions[name])
}

/** Twice the heartbeat interval, when that is longer than the default timeout. */
function defaultClientTimeout(options: WebSocketOptions): number | undefined {
  const interval = options.heartbeatInterval
  if (options.clientTimeout !== undefined || typeof interval !== 'number') return undefined
  return Math.min(Math.max(defaultOptions.clientTimeout, interval * 2), MAX_TIMER_DELAY)
}

function optionalFunction<T>(options: WebSocketOptions, name: keyof WebSocketOptions): T {
  const value = options[name]
  if (value !== undefined && typeof value !== 'function') throw invalid(name, 'a function', value)
  return value as T
}

function stringList(value: unknown, name: string, fallback: readonly string[]): string[] {
  const list = value === undefined ? fallback : Array.isArray(value) ? value : [value]
  for (const item of list) {
    if (typeof item !== 'string' || item === '') throw invalid(name, 'non-empty strings', item)
  }
  return [...list]
}

function resolveOrigins(value: WebSocketOptions['allowedOrigins']): OriginPattern[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value]
  for (const item of list) {
    if (!(item instanceof RegExp) && (typeof item !== 'string' || item === '')) {
      throw invalid('allowedOrigins', 'strings or RegExps', item)
    }
  }
  return [...list]
}

function resolvePolicy(value: unknown): BackpressurePolicy {
  if (value === undefined) return defaultOptions.backpressurePolicy
  if (value !== 'drop' && value !== 'close')
    throw invalid('backpressurePolicy', "'drop' or 'close'", value)
  return value
}

function resolveAdapter(value: unknown): Adapter | undefined {
  if (value === undefined) return undefined
  const adapter = value as Partial<Adapter>
  if (typeof adapter?.init !== 'function' || typeof adapter.broadcast !== 'function') {
    throw invalid('adapter', 'an adapter (init(), broadcast(), …)', value)
  }
  return adapter as Adapter
}

function resolveDebug(value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value === 'object' && value !== null) {
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      'Invalid option "debug": PXL\'s { printRoutes } has no roomcast form; debug: true logs handshakes, refusals, joins, leaves and closes',
    )
  }
  if (typeof value !== 'boolean') throw invalid('debug', 'true or false', value)
  return value
}

function resolveLogger(value: unknown): Logger {
  if (value === undefined) return console
  const logger = value as Partial<Logger>
  if (typeof logger.error !== 'function' || typeof logger.warn !== 'function') {
    throw invalid('logger', 'an object with error() and warn()', value)
  }
  return logger as Logger
}

/**
 * Merges `options` over the defaults and checks every value before anything
 * starts; a key it does not know is refused, with the roomcast form when it is
 * a seed's name or a near miss.
 * @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option.
 */
export function resolveOptions(options: WebSocketOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw invalid('options', 'an object', options)
  assertKnownKeys(options, WEBSOCKET_OPTION_KEYS, { object: 'createWebSocket' })
  const resolved: ResolvedOptions = {
    paths: stringList(options.path, 'path', defaultOptions.path),
    maxPayload: option('maxPayload', options.maxPayload),
    maxFragments: option('maxFragments', options.maxFragments),
    heartbeatInterval: option('heartbeatInterval', options.heartbeatInterval, duration),
    clientTimeout: option(
      'clientTimeout',
      options.clientTimeout ?? defaultClientTimeout(options),
      duration,
    ),
    maxConnections: option('maxConnections', options.maxConnections),
    ipLimits: resolveIpLimits(options),
    maxRoomsPerConnection: option('maxRoomsPerConnection', options.maxRoomsPerConnection),
    allowedOrigins: resolveOrigins(options.allowedOrigins),
    ...resolveCompression(options),
    subprotocols: stringList(options.subprotocols, 'subprotocols', []),
    ignoreProtocols: stringList(options.ignoreProtocols, 'ignoreProtocols', []),
    verifyClient: optionalFunction(options, 'verifyClient'),
    auth: resolveAuth(options.auth, 'auth'),
    authorizeJoin: optionalFunction(options, 'authorizeJoin'),
    handshakeTimeout: option('handshakeTimeout', options.handshakeTimeout, {
      min: 1,
      max: MAX_TIMER_DELAY,
    }),
    maxQueuedBytes: option('maxQueuedBytes', options.maxQueuedBytes, { min: 1 }),
    closeTimeout: option('closeTimeout', options.closeTimeout, duration),
    maxBackpressure: option('maxBackpressure', options.maxBackpressure, { min: 1 }),
    backpressurePolicy: resolvePolicy(options.backpressurePolicy),
    ...resolveInactivity(options),
    maxLifetime: option('maxLifetime', options.maxLifetime, duration),
    rateLimit: resolveRateLimit(options.rateLimit),
    maxJsonDepth: option('maxJsonDepth', options.maxJsonDepth, { min: 1 }),
    maxJsonKeys: option('maxJsonKeys', options.maxJsonKeys, { min: 0 }),
    adapter: resolveAdapter(options.adapter),
    requestTimeout:
      options.requestTimeout === undefined
        ? undefined
        : count('requestTimeout', options.requestTimeout, { min: 1, max: MAX_TIMER_DELAY }),
    history: resolveHistory(options.history),
    recovery: resolveRecovery(options.recovery),
    offlineQueue: resolveOfflineQueue(options.offlineQueue),
    onConnection: optionalFunction(options, 'onConnection'),
    onClose: optionalFunction(options, 'onClose'),
    onError: optionalFunction(options, 'onError'),
    logger: resolveLogger(options.logger),
    debug: resolveDebug(options.debug),
  }
  if (resolved.heartbeatInterval > 0 && resolved.clientTimeout <= resolved.heartbeatInterval) {
    throw invalid(
      'clientTimeout',
      `a value greater than heartbeatInterval (${resolved.heartbeatInterval}) so a client can answer a ping`,
      resolved.clientTimeout,
    )
  }
  return resolved
}
