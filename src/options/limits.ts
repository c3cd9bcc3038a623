/** Options of the message layer's limits: rate limits and inactivity (seed 003/004). */
import { count, duration, invalid, MAX_TIMER_DELAY } from './checks.js'
import { assertKnownKeys, keySet } from './known-keys.js'

/**
 * A per-connection message rate limit (token bucket): `messages` per
 * `interval` ms, bursts up to `messages`. Past it, `'drop'` skips the message
 * and answers `ERR_RATE_LIMITED` at most once per interval; `'close'` closes
 * with 1008.
 */
export interface RateLimitOptions {
  messages: number
  interval: number
  /** @default 'drop' */
  onExceeded?: 'drop' | 'close'
}

export interface ResolvedRateLimit {
  messages: number
  interval: number
  onExceeded: 'drop' | 'close'
}

/** Seed 004's inactivity option; `inactiveTime` (ms) maps to `inactivityTimeout`. */
export interface DisconnectInactiveClientsOptions {
  /** @default true */
  enabled?: boolean
  inactiveTime: number
  /** Check at least this often (ms); the sweep otherwise checks every quarter of `inactiveTime`. */
  intervalCheckTime?: number
  /** Log each disconnection through `logger.warn`. @default false */
  log?: boolean
}

export interface ResolvedInactivity {
  inactivityTimeout: number
  /** Minimum sweep period asked for by `disconnectInactiveClients.intervalCheckTime`; 0 = none. */
  inactivityCheckInterval: number
  logInactivity: boolean
}

const RATE_LIMIT_KEYS = keySet<RateLimitOptions>({
  messages: true,
  interval: true,
  onExceeded: true,
})

const INACTIVITY_KEYS = keySet<DisconnectInactiveClientsOptions>({
  enabled: true,
  inactiveTime: true,
  intervalCheckTime: true,
  log: true,
})

/**
 * Checks a rate limit: the server's, or a route's (`scope` names the route).
 * @throws {RoomcastError} `ERR_INVALID_OPTION`.
 */
export function resolveRateLimit(value: unknown, scope?: string): ResolvedRateLimit | undefined {
  if (value === undefined) return undefined
  const name = scope === undefined ? 'rateLimit' : `${scope}: rateLimit`
  if (typeof value !== 'object' || value === null) throw invalid(name, 'an object', value)
  assertKnownKeys(value, RATE_LIMIT_KEYS, {
    object: 'rateLimit',
    path: 'rateLimit.',
    ...(scope === undefined ? {} : { scope }),
  })
  const limit = value as Partial<RateLimitOptions>
  const onExceeded = limit.onExceeded ?? 'drop'
  if (onExceeded !== 'drop' && onExceeded !== 'close') {
    throw invalid(`${name}.onExceeded`, "'drop' or 'close'", onExceeded)
  }
  return {
    messages: count(`${name}.messages`, limit.messages, { min: 1 }),
    interval: count(`${name}.interval`, limit.interval, { min: 1, max: MAX_TIMER_DELAY }),
    onExceeded,
  }
}

/** `inactivityTimeout`, or seed 004's `disconnectInactiveClients` (not both). */
export function resolveInactivity(options: {
  inactivityTimeout?: number | undefined
  disconnectInactiveClients?: DisconnectInactiveClientsOptions | undefined
}): ResolvedInactivity {
  const seed = options.disconnectInactiveClients
  if (seed !== undefined) {
    if (typeof seed !== 'object' || seed === null) {
      throw invalid('disconnectInactiveClients', 'an object', seed)
    }
    assertKnownKeys(seed, INACTIVITY_KEYS, {
      object: 'disconnectInactiveClients',
      path: 'disconnectInactiveClients.',
    })
  }
  if (seed === undefined || seed.enabled === false) {
    return {
      inactivityTimeout: count('inactivityTimeout', options.inactivityTimeout, duration, 0),
      inactivityCheckInterval: 0,
      logInactivity: false,
    }
  }
  if (options.inactivityTimeout !== undefined) {
    throw invalid(
      'disconnectInactiveClients',
      'not to be combined with inactivityTimeout',
      'both given',
    )
  }
  return {
    inactivityTimeout: count('disconnectInactiveClients.inactiveTime', seed.inactiveTime, {
      min: 1,
      max: MAX_TIMER_DELAY,
    }),
    inactivityCheckInterval: count(
      'disconnectInactiveClients.intervalCheckTime',
      seed.intervalCheckTime ?? 0,
      duration,
    ),
    logInactivity: seed.log === true,
  }
}
