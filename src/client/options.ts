/** The client's options: their types with defaults, and the one place they are checked. */
import { assertKnownKeys, keySet } from './known-keys.js'
import type { WebSocketConstructor } from './socket.js'
import { type Clock, clockOf, type Timers } from './timers.js'

/** How the client waits between reconnect attempts: exponential backoff with full jitter. */
export interface ReconnectOptions {
  /** Delay ceiling of the first attempt, in ms. @default 1000 */
  initialDelay?: number
  /** Delay ceiling of any attempt, in ms. @default 30000 */
  maxDelay?: number
  /** Each attempt's ceiling is the previous one times this. @default 2 */
  factor?: number
  /** Attempts after a lost connection before giving up (the count restarts on every open). @default Infinity */
  maxAttempts?: number
  /** `true`: wait `random() × ceiling` (full jitter). `false`: wait the ceiling exactly. @default true */
  jitter?: boolean
}

/** Sends held while disconnected, flushed in order on the next open. */
export interface BufferOptions {
  /** Most entries held; past it the oldest is dropped. @default 100 */
  size?: number
  /** Entries older than this (ms) when the flush comes are dropped. @default 30000 */
  ttl?: number
}

/** Options of {@link createClient}; unknown keys are refused. */
export interface ClientOptions {
  /** The WebSocket class. Node 20 has none built in: pass `ws`'s `WebSocket`. @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor
  /** Subprotocols to offer in the handshake. */
  protocols?: string | string[]
  /** Reconnect policy, or `false` to never reconnect. */
  reconnect?: ReconnectOptions | false
  /** Offline buffer, or `false` to refuse sends while disconnected. */
  buffer?: BufferOptions | false
  /**
   * Called before every attempt; its value goes in the query as `tokenParam`.
   * While connected the client also refreshes by itself before the token's
   * `exp` (read from a JWT's payload, not verified): at `max(left − 30 s,
   * ¾ × left)`, or at once on the server's `system.expiring` push, it calls
   * this again and sends the value as `system.refresh`. A failed refresh is an
   * `ERR_TOKEN` error; a token that runs out closes with 4001 and reconnects at
   * once, a revoked one closes with 4003, final. See docs/protocol.md.
   */
  token?: () => string | Promise<string>
  /** Query parameter the token goes in. @default 'token' */
  tokenParam?: string
  /** Source of jitter in [0, 1). @default Math.random */
  random?: () => number
  /** The clock, for tests. @default the global timers and Date.now */
  timers?: Timers
}

/** The options with every default applied. */
export interface ResolvedOptions {
  readonly WebSocket: WebSocketConstructor
  readonly protocols: string | string[] | undefined
  readonly reconnect: Readonly<Required<ReconnectOptions>> | false
  readonly buffer: Readonly<Required<BufferOptions>> | false
  readonly token: (() => string | Promise<string>) | undefined
  readonly tokenParam: string
  readonly random: () => number
  readonly clock: Clock
}

const RECONNECT_DEFAULTS = {
  initialDelay: 1000,
  maxDelay: 30_000,
  factor: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
  jitter: true,
} satisfies Required<ReconnectOptions>

const BUFFER_DEFAULTS = { size: 100, ttl: 30_000 } satisfies Required<BufferOptions>

const CLIENT_KEYS = keySet<ClientOptions>({
  WebSocket: true,
  protocols: true,
  reconnect: true,
  buffer: true,
  token: true,
  tokenParam: true,
  random: true,
  timers: true,
})
const RECONNECT_KEYS = keySet<ReconnectOptions>({
  initialDelay: true,
  maxDelay: true,
  factor: true,
  maxAttempts: true,
  jitter: true,
})
const BUFFER_KEYS = keySet<BufferOptions>({ size: true, ttl: true })
const TIMERS_KEYS = keySet<Timers>({ setTimeout: true, clearTimeout: true, now: true })

const SCOPE = 'createClient'

/**
 * Applies defaults and checks every option before anything connects.
 * @throws {TypeError} for an unknown key, a wrong type or an out-of-range number, naming the option.
 */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  assertKnownKeys(SCOPE, options, CLIENT_KEYS)
  const WebSocket: unknown = options.WebSocket ?? globalWebSocket()
  if (typeof WebSocket !== 'function') {
    throw new TypeError(
      options.WebSocket === undefined
        ? `${SCOPE}: no WebSocket implementation: pass the "WebSocket" option (in Node, ws's WebSocket)`
        : `${SCOPE}: the "WebSocket" option must be a WebSocket class, got ${typeof WebSocket}`,
    )
  }
  if (options.timers !== undefined) assertKnownKeys(SCOPE, options.timers, TIMERS_KEYS, 'timers.')
  return {
    WebSocket: WebSocket as WebSocketConstructor,
    protocols: options.protocols,
    reconnect: options.reconnect === false ? false : resolveReconnect(options.reconnect ?? {}),
    buffer: options.buffer === false ? false : resolveBuffer(options.buffer ?? {}),
    token: optionalFunction('token', options.token),
    tokenParam: nonEmptyString('tokenParam', options.tokenParam ?? 'token'),
    random: optionalFunction('random', options.random) ?? Math.random,
    clock: clockOf(options.timers),
  }
}

function resolveReconnect(options: ReconnectOptions): Required<ReconnectOptions> {
  assertKnownKeys(SCOPE, options, RECONNECT_KEYS, 'reconnect.')
  const resolved = { ...RECONNECT_DEFAULTS, ...options }
  atLeast('reconnect.initialDelay', resolved.initialDelay, 0)
  atLeast('reconnect.maxDelay', resolved.maxDelay, 0)
  atLeast('reconnect.factor', resolved.factor, 1)
  atLeast('reconnect.maxAttempts', resolved.maxAttempts, 0)
  if (typeof resolved.jitter !== 'boolean') {
    throw new TypeError(`${SCOPE}: "reconnect.jitter" must be a boolean`)
  }
  return resolved
}

function resolveBuffer(options: BufferOptions): Required<BufferOptions> {
  assertKnownKeys(SCOPE, options, BUFFER_KEYS, 'buffer.')
  const resolved = { ...BUFFER_DEFAULTS, ...options }
  atLeast('buffer.size', resolved.size, 1)
  atLeast('buffer.ttl', resolved.ttl, 0)
  return resolved
}

function globalWebSocket(): unknown {
  return (globalThis as { WebSocket?: unknown }).WebSocket
}

/** @throws {TypeError} unless `value` is a number ≥ `min` (Infinity allowed, NaN not). */
function atLeast(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min) {
    throw new TypeError(`${SCOPE}: "${name}" must be a number >= ${min}`)
  }
}

function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${SCOPE}: "${name}" must be a function`)
  }
  return value
}

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${SCOPE}: "${name}" must be a non-empty string`)
  }
  return value
}

/** Options of `send()` and `json()`. */
export interface SendOptions {
  /** Never buffered: dropped (and `false` returned) when not open. */
  volatile?: boolean
}

/** Options of `request()`. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply; `Infinity` waits as long as the client lives. @default 10000 */
  timeout?: number
}
