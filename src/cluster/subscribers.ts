/** Cross-node subscribers (seed 004): their shapes and `defineSubscriber()`. */
import { assertKnownKeys, keySet } from '../options/index.js'

/** The `Extra` of a registry whose dispatch adds nothing to the context. */
export type NoExtra = Record<never, never>

/**
 * What a handler and its middleware receive: the channel, the message as
 * published, the subscriber's name, and whatever the caller of `dispatch()`
 * adds (`Extra`, e.g. `{ server }`). A fresh object per subscriber, so
 * middleware may attach state to it.
 */
export type SubscriberContext<Extra extends object = NoExtra> = Extra & {
  readonly channel: string
  /** Decoded but unchecked: narrow it (or wrap the handler in `withValidation`). */
  readonly message: unknown
  readonly subscriber: { readonly name: string }
}

/** A subscriber's work. Its result is handed to each middleware's `onAfter`. */
export type SubscriberHandler<Extra extends object = NoExtra> = (
  context: SubscriberContext<Extra>,
) => unknown

/**
 * Decides from the channel and message whether a subscriber runs (seed 004's
 * `({ message }) => …`). Must be synchronous.
 */
export type ChannelPredicate = (context: {
  readonly channel: string
  readonly message: unknown
}) => boolean

/** A string is an exact channel name (`'*'`: every channel); a RegExp is tested against the channel. */
export type SubscriberMatcher = string | RegExp | ChannelPredicate

/** Hooks around one subscriber's handler; every hook may be async and is awaited. */
export interface SubscriberMiddleware<Extra extends object = NoExtra> {
  /** Identifies the middleware, e.g. in logs; the built-in ones set it. */
  readonly name?: string
  /** Returning `false` (exactly) skips the handler and every later `onBefore`. */
  readonly onBefore?: (context: SubscriberContext<Extra>) => unknown
  /** Runs after the handler succeeded, in middleware order. */
  readonly onAfter?: (context: SubscriberContext<Extra>, result: unknown) => unknown
  /**
   * Runs when `onBefore`, the handler or `onAfter` failed; every middleware's
   * `onError` runs, and `true` from any of them keeps the error from `reportError`.
   */
  readonly onError?: (context: SubscriberContext<Extra>, error: Error) => unknown
}

interface SubscriberCommon<Extra extends object> {
  /**
   * Unique within a registry; names the subscriber in logs and reports.
   * Without one (seed 004 makes it optional), the registry gives it `subscriber#<n>`.
   */
  name?: string
  description?: string
  /** Higher runs first; equal priorities run in registration order. @default 0 */
  priority?: number
  handle: SubscriberHandler<Extra>
  middleware?: readonly SubscriberMiddleware<Extra>[]
}

/**
 * What `defineSubscriber()` takes: exactly one of `channel`, `channels` or
 * `match`. The channel name `'*'` matches every channel (seed 004's debug subscriber).
 */
export type SubscriberOptions<Extra extends object = NoExtra> = SubscriberCommon<Extra> &
  (
    | { channel: string; channels?: never; match?: never }
    | { channels: readonly string[]; channel?: never; match?: never }
    | { match: SubscriberMatcher | readonly SubscriberMatcher[]; channel?: never; channels?: never }
  )

/** A validated, frozen subscriber. `channel` is folded into `channels`; `match` is always an array. */
export interface SubscriberDefinition<Extra extends object = NoExtra> {
  /** `undefined` until a registry names it: see {@link RegisteredSubscriber}. */
  readonly name: string | undefined
  readonly description: string | undefined
  readonly priority: number
  readonly handle: SubscriberHandler<Extra>
  readonly middleware: readonly SubscriberMiddleware<Extra>[]
  /** Exact channel names, or `undefined` when the subscriber uses `match`. */
  readonly channels: readonly string[] | undefined
  readonly match: readonly SubscriberMatcher[] | undefined
}

/** A definition as a registry holds it: always named. */
export type RegisteredSubscriber<Extra extends object = NoExtra> = SubscriberDefinition<Extra> & {
  readonly name: string
}

// Marks objects built here, so `add()` can take either options or a definition.
const DEFINED = Symbol('roomcast.subscriber')

const HOOKS = ['onBefore', 'onAfter', 'onError'] as const

const MIDDLEWARE_KEYS = keySet<SubscriberMiddleware>({
  name: true,
  onBefore: true,
  onAfter: true,
  onError: true,
})

const SUBSCRIBER_KEYS = keySet<
  SubscriberCommon<NoExtra> & Record<'channel' | 'channels' | 'match', unknown>
>({
  name: true,
  description: true,
  priority: true,
  handle: true,
  middleware: true,
  channel: true,
  channels: true,
  match: true,
})

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0
}

function checkMatcher(value: unknown, label: string): SubscriberMatcher {
  if (isNonEmptyString(value) || typeof value === 'function') return value as SubscriberMatcher
  // A copy without g/y: RegExp#test would otherwise advance lastIndex between channels.
  if (value instanceof RegExp) return new RegExp(value.source, value.flags.replace(/[gy]/g, ''))
  throw new TypeError(`${label}: match must be a channel name, a RegExp or a predicate function`)
}

function checkMiddleware<Extra extends object>(
  value: unknown,
  label: string,
): readonly SubscriberMiddleware<Extra>[] {
  if (value === undefined) return Object.freeze([])
  if (!Array.isArray(value)) throw new TypeError(`${label}: middleware must be an array`)
  for (const item of value) {
    if (typeof item !== 'object' || item === null) {
      throw new TypeError(
        `${label}: each middleware must be an object with onBefore/onAfter/onError`,
      )
    }
    assertKnownKeys(item, MIDDLEWARE_KEYS, { object: 'subscriberMiddleware', scope: label })
    for (const hook of HOOKS) {
      const fn = (item as Record<string, unknown>)[hook]
      if (fn !== undefined && typeof fn !== 'function') {
        throw new TypeError(`${label}: middleware ${hook} must be a function`)
      }
    }
  }
  return Object.freeze([...value])
}

/**
 * Validates a subscriber and returns it frozen; also fixes `Extra` for inference.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for a key it does not know.
 * @throws {TypeError} when `name` is given but empty, not exactly one of `channel`,
 * `channels` and `match` is given, `handle` is not a function, or a field has the wrong type.
 * @example
 * defineSubscriber<{ server: RoomcastServer }>({
 *   name: 'jobs', channels: ['job:done', 'job:failed'], priority: 10,
 *   handle: ({ channel, message, server }) => server.to('ops').json({ channel, message }),
 * })
 */
export function defineSubscriber<Extra extends object = NoExtra>(
  options: SubscriberOptions<Extra>,
): SubscriberDefinition<Extra> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('defineSubscriber() takes an options object')
  }
  assertKnownKeys(options, SUBSCRIBER_KEYS, {
    object: 'defineSubscriber',
    scope: 'defineSubscriber',
  })
  const { name, description, priority = 0, handle, channel, channels, match } = options
  if (name !== undefined && !isNonEmptyString(name))
    throw new TypeError('defineSubscriber(): name must be a non-empty string when given')
  const label = name === undefined ? 'defineSubscriber()' : `subscriber "${name}"`
  if (typeof handle !== 'function') throw new TypeError(`${label}: handle must be a function`)
  if (description !== undefined && typeof description !== 'string') {
    throw new TypeError(`${label}: description must be a string`)
  }
  if (typeof priority !== 'number' || !Number.isFinite(priority)) {
    throw new TypeError(`${label}: priority must be a finite number`)
  }
  const given = [channel, channels, match].filter((value) => value !== undefined).length
  if (given !== 1) {
    throw new TypeError(`${label}: give exactly one of channel, channels or match (got ${given})`)
  }
  let exact: readonly string[] | undefined
  let matchers: readonly SubscriberMatcher[] | undefined
  if (channel !== undefined) {
    if (!isNonEmptyString(channel))
      throw new TypeError(`${label}: channel must be a non-empty string`)
    exact = Object.freeze([channel])
  } else if (channels !== undefined) {
    if (!Array.isArray(channels) || channels.length === 0 || !channels.every(isNonEmptyString)) {
      throw new TypeError(`${label}: channels must be a non-empty array of channel names`)
    }
    exact = Object.freeze([...new Set<string>(channels)])
  } else {
    const list: readonly unknown[] = Array.isArray(match) ? match : [match]
    if (list.length === 0) throw new TypeError(`${label}: match must not be an empty array`)
    matchers = Object.freeze(list.map((item) => checkMatcher(item, label)))
  }
  const definition: SubscriberDefinition<Extra> = {
    name,
    description,
    priority,
    handle,
    middleware: checkMiddleware<Extra>(options.middleware, label),
    channels: exact,
    match: matchers,
  }
  Object.defineProperty(definition, DEFINED, { value: true })
  return Object.freeze(definition)
}

/** `definition` under the name a registry gave it: a frozen copy, still a definition. */
export function nameSubscriber<Extra extends object>(
  definition: SubscriberDefinition<Extra>,
  name: string,
): RegisteredSubscriber<Extra> {
  const named = { ...definition, name }
  Object.defineProperty(named, DEFINED, { value: true })
  return Object.freeze(named)
}

/** True for what `defineSubscriber()` returned; `add()` defines anything else on the way in. */
export function isSubscriberDefinition<Extra extends object>(
  value: SubscriberDefinition<Extra> | SubscriberOptions<Extra>,
): value is SubscriberDefinition<Extra> {
  return DEFINED in value
}
