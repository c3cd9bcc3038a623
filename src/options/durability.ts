/** The options that make delivery outlive a connection: room history, session recovery, offline queues. */
import { count, duration, invalid } from './checks.js'
import { assertKnownKeys, keySet } from './known-keys.js'

/** Which rooms keep history: a name with `*` wildcards, a RegExp, a predicate, or a list of them. */
export type RoomSelector =
  | string
  | RegExp
  | ((room: string) => boolean)
  | ReadonlyArray<string | RegExp | ((room: string) => boolean)>

export interface HistoryOptions {
  /** Messages kept per room (the oldest go first). */
  size: number
  /** How long a message is kept (ms). */
  ttl: number
  /** Rooms whose broadcasts are kept. @default every room */
  rooms?: RoomSelector
}

export interface RecoveryOptions {
  /**
   * How long a roomcast client's session (rooms, `userId`, `metadata`) is
   * kept after its connection drops (ms): a reconnect within it is restored.
   */
  maxDisconnection: number
  /**
   * Decides whether a recovered session may be restored on this connection
   * (the handshake has already run). `false` starts it fresh. @default same `userId`
   */
  authorize?: (conn: RecoveringConnection, session: SessionSnapshot) => boolean | Promise<boolean>
}

/** What a session keeps of a connection while it is away. */
export interface SessionSnapshot {
  /** The id of the connection it was: a replay skips what excluded it. The recovered one gets a new id. */
  id: string
  userId: string | undefined
  metadata: Record<string, unknown>
  rooms: string[]
}

/** The new connection a session would be restored onto, as `recovery.authorize` sees it. */
export interface RecoveringConnection {
  readonly userId: string | undefined
  readonly url: string
}

export interface OfflineQueueOptions {
  /** Messages kept per offline user (the oldest go first). */
  size: number
  /** How long a queued message waits (ms). */
  ttl: number
}

/** A history rule after checking: rooms as one predicate. */
export interface HistoryRule {
  readonly size: number
  readonly ttl: number
  readonly matches: (room: string) => boolean
}

export interface ResolvedRecovery {
  readonly maxDisconnection: number
  readonly authorize: RecoveryOptions['authorize'] | undefined
}

const HISTORY_KEYS = keySet<HistoryOptions>({ size: true, ttl: true, rooms: true })
const RECOVERY_KEYS = keySet<RecoveryOptions>({ maxDisconnection: true, authorize: true })
const OFFLINE_KEYS = keySet<OfflineQueueOptions>({ size: true, ttl: true })

function objectOf(value: unknown, name: string, shape: string): object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(name, shape, value)
  }
  return value
}

/** `*` matches any run of characters; everything else is literal. */
function wildcard(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${escaped.join('.*')}$`)
}

function selector(value: unknown, name: string): (room: string) => boolean {
  if (value === undefined) return () => true
  const items = Array.isArray(value) ? value : [value]
  const tests = items.map((item): ((room: string) => boolean) => {
    if (typeof item === 'function') return (room) => item(room) === true
    if (item instanceof RegExp) return (room) => item.test(room)
    if (typeof item === 'string' && item !== '') {
      if (!item.includes('*')) return (room) => room === item
      const pattern = wildcard(item)
      return (room) => pattern.test(room)
    }
    throw invalid(name, 'room names with `*`, RegExps or predicates', item)
  })
  return tests.length === 1
    ? (tests[0] as (room: string) => boolean)
    : (room) => tests.some((test) => test(room))
}

/**
 * `history` of `createWebSocket()` or of a route object.
 * @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option.
 */
export function resolveHistory(value: unknown, path = 'history'): HistoryRule | undefined {
  if (value === undefined) return undefined
  const options = objectOf(value, path, '{ size, ttl, rooms? }') as Partial<HistoryOptions>
  assertKnownKeys(options, HISTORY_KEYS, { object: 'history', path: `${path}.` })
  return {
    size: count(`${path}.size`, options.size, { min: 1, max: 1_000_000 }),
    ttl: count(`${path}.ttl`, options.ttl, { min: 1, ...duration }),
    matches: selector(options.rooms, `${path}.rooms`),
  }
}

/** @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option. */
export function resolveRecovery(value: unknown): ResolvedRecovery | undefined {
  if (value === undefined) return undefined
  const options = objectOf(
    value,
    'recovery',
    '{ maxDisconnection, authorize? }',
  ) as Partial<RecoveryOptions>
  assertKnownKeys(options, RECOVERY_KEYS, { object: 'recovery', path: 'recovery.' })
  if (options.authorize !== undefined && typeof options.authorize !== 'function') {
    throw invalid('recovery.authorize', 'a function', options.authorize)
  }
  return {
    maxDisconnection: count('recovery.maxDisconnection', options.maxDisconnection, {
      min: 1,
      ...duration,
    }),
    authorize: options.authorize,
  }
}

/** @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option. */
export function resolveOfflineQueue(value: unknown): OfflineQueueOptions | undefined {
  if (value === undefined) return undefined
  const options = objectOf(value, 'offlineQueue', '{ size, ttl }') as Partial<OfflineQueueOptions>
  assertKnownKeys(options, OFFLINE_KEYS, { object: 'offlineQueue', path: 'offlineQueue.' })
  return {
    size: count('offlineQueue.size', options.size, { min: 1, max: 1_000_000 }),
    ttl: count('offlineQueue.ttl', options.ttl, { min: 1, ...duration }),
  }
}
