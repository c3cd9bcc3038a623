/** Seed 004's subscriber helpers: message matchers and handler wrappers (seed 004's argument orders). */
import { toError } from '../errors.js'
import { logSafely } from '../hooks.js'
import { assertKnownKeys, keySet } from '../options/index.js'
import type { Logger } from '../types.js'
import type { ChannelPredicate, SubscriberContext } from './subscribers.js'

/** `Logger` plus the optional levels the logging helpers use for routine events. */
export interface SubscriberLogger extends Logger {
  info?(message: string, ...details: unknown[]): void
  debug?(message: string, ...details: unknown[]): void
}

/** A property of the message: a dotted path (`'user.id'`, `'items.0'`) or its segments. */
export type PropertyPath = string | readonly string[]

type Handler<C, R> = (context: C) => R | PromiseLike<R>

function assertFunction(value: unknown, name: string, signature: string): void {
  if (typeof value !== 'function') throw new TypeError(`${signature}: ${name} must be a function`)
}

/** Names a value in an error without printing it (it may be a message's data). */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value
}

const MISSING = Symbol('missing')

/** Follows `path` through own properties of objects only, so prototypes and primitives never match. */
function readPath(message: unknown, path: PropertyPath): unknown {
  const keys = typeof path === 'string' ? path.split('.') : path
  let current = message
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) {
      return MISSING
    }
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

function checkPath(path: unknown, helper: string): PropertyPath {
  const valid =
    (typeof path === 'string' && path.length > 0) ||
    (Array.isArray(path) && path.length > 0 && path.every((key) => typeof key === 'string'))
  if (!valid)
    throw new TypeError(`${helper}(): the property path must be a non-empty string or array`)
  return path as PropertyPath
}

/** Matches messages whose property at `path` is `=== value`. @example match: matchByProperty('type', 'analytics') */
export function matchByProperty(path: PropertyPath, value: unknown): ChannelPredicate {
  const keys = checkPath(path, 'matchByProperty')
  return ({ message }) => readPath(message, keys) === value
}

/**
 * Matches messages whose property at `path` exists and satisfies `predicate`.
 * A missing property never matches; a throwing predicate is reported by the registry.
 */
export function matchByPropertyPredicate(
  path: PropertyPath,
  predicate: (value: unknown, message: unknown) => boolean,
): ChannelPredicate {
  const keys = checkPath(path, 'matchByPropertyPredicate')
  if (typeof predicate !== 'function') {
    throw new TypeError('matchByPropertyPredicate(): predicate must be a function')
  }
  return ({ message }) => {
    const value = readPath(message, keys)
    return value !== MISSING && predicate(value, message)
  }
}

/** Catches the handler's failure and hands it to `onError`; the wrapped handler then resolves `undefined`. */
export function withErrorHandler<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  onError: (error: Error, context: C) => unknown,
): (context: C) => Promise<R | undefined> {
  return async (context) => {
    try {
      return await handler(context)
    } catch (error) {
      // A failing onError rejects: the registry reports it rather than losing both errors.
      await onError(toError(error), context)
      return undefined
    }
  }
}

export function positive(value: unknown, name: string, helper: string, integer = false): number {
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new TypeError(`${helper}(): ${name} must be a positive ${integer ? 'integer' : 'number'}`)
  }
  return value
}

/** A sliding window of start times: at most `max` calls in any `windowMs`; no timers. */
export function windowLimiter(max: number, windowMs: number, now: () => number): () => boolean {
  const starts: number[] = []
  return () => {
    const time = now()
    while (starts.length > 0 && (starts[0] as number) <= time - windowMs) starts.shift()
    if (starts.length >= max) return false
    starts.push(time)
    return true
  }
}

export interface WithRateLimitOptions<C> {
  /** Calls allowed in any window. */
  max: number
  windowMs: number
  /** Told about each dropped call. */
  onLimited?: ((context: C) => unknown) | undefined
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number
}

const RATE_LIMIT_KEYS = keySet<WithRateLimitOptions<unknown>>({
  max: true,
  windowMs: true,
  onLimited: true,
  now: true,
})

const RATE_LIMIT_FORMS =
  'withRateLimit(handler, maxExecutions, windowMs, onLimited?) or withRateLimit(handler, { max, windowMs, onLimited?, now? })'

/**
 * Drops calls beyond `maxExecutions` in any `windowMs` (they resolve
 * `undefined`, after `onLimited`); the window is shared by every channel.
 * Seed 004's form, positional.
 * @throws {TypeError} for a limit or window that is not positive.
 * @example handle: withRateLimit(handler, 10, 60_000, (context) => log(context.channel))
 */
export function withRateLimit<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  maxExecutions: number,
  windowMs: number,
  onLimited?: (context: C) => unknown,
): (context: C) => Promise<R | undefined>
/** The same with an options object, and an injectable clock. */
export function withRateLimit<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  options: WithRateLimitOptions<C>,
): (context: C) => Promise<R | undefined>
export function withRateLimit<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  limit: number | WithRateLimitOptions<C>,
  windowMs?: number,
  onLimited?: (context: C) => unknown,
): (context: C) => Promise<R | undefined> {
  assertFunction(handler, 'handler', RATE_LIMIT_FORMS)
  let options: WithRateLimitOptions<C>
  if (typeof limit === 'number') {
    options = { max: limit, windowMs: windowMs as number, onLimited }
  } else if (
    typeof limit === 'object' &&
    limit !== null &&
    windowMs === undefined &&
    onLimited === undefined
  ) {
    assertKnownKeys(limit, RATE_LIMIT_KEYS, { object: 'withRateLimit', scope: 'withRateLimit' })
    options = limit
  } else {
    throw new TypeError(`Use ${RATE_LIMIT_FORMS}`)
  }
  const max = positive(options.max, 'max', 'withRateLimit', true)
  const window = positive(options.windowMs, 'windowMs', 'withRateLimit')
  if (options.onLimited !== undefined)
    assertFunction(options.onLimited, 'onLimited', RATE_LIMIT_FORMS)
  const allow = windowLimiter(max, window, options.now ?? Date.now)
  return async (context) => {
    if (allow()) return await handler(context)
    await options.onLimited?.(context)
    return undefined
  }
}

export interface RetryOptions {
  /** Attempts after the first. */
  retries: number
  /** Wait before the first retry; each later wait is `factor` times longer. */
  baseDelayMs: number
  /** Upper bound of one wait. @default Infinity */
  maxDelayMs?: number
  /** @default 2 */
  factor?: number
  /** Told before each wait, e.g. to log; `attempt` counts from 1. */
  onRetry?: (error: Error, attempt: number, delayMs: number) => void
}

const RETRY_KEYS = keySet<RetryOptions>({
  retries: true,
  baseDelayMs: true,
  maxDelayMs: true,
  factor: true,
  onRetry: true,
})

const RETRY_FORMS =
  'withRetry(handler, maxRetries?, initialDelayMs?, backoffMultiplier?) or withRetry(handler, { retries, baseDelayMs, … })'

/**
 * Runs the handler again after failures, up to `maxRetries` (default 3) more
 * times, waiting `initialDelayMs` (default 1000) × `backoffMultiplier`
 * (default 2) to the power of the retry before each; rejects with the last
 * error. Seed 004's form, positional.
 * @throws {TypeError} for a negative retry count, a negative delay or a multiplier below 1.
 * @example handle: withRetry(handler, 3, 1000, 2) // waits 1 s, 2 s, 4 s
 */
export function withRetry<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  maxRetries?: number,
  initialDelayMs?: number,
  backoffMultiplier?: number,
): (context: C) => Promise<R>
/** The same with an options object: a cap on each wait, and `onRetry`. */
export function withRetry<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  options: RetryOptions,
): (context: C) => Promise<R>
export function withRetry<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  retriesOrOptions?: number | RetryOptions,
  initialDelayMs?: number,
  backoffMultiplier?: number,
): (context: C) => Promise<R> {
  assertFunction(handler, 'handler', RETRY_FORMS)
  let options: RetryOptions
  if (typeof retriesOrOptions === 'object' && retriesOrOptions !== null) {
    if (initialDelayMs !== undefined || backoffMultiplier !== undefined) {
      throw new TypeError(`Use ${RETRY_FORMS}`)
    }
    assertKnownKeys(retriesOrOptions, RETRY_KEYS, { object: 'withRetry', scope: 'withRetry' })
    options = retriesOrOptions
  } else if (retriesOrOptions === undefined || typeof retriesOrOptions === 'number') {
    options = {
      retries: retriesOrOptions ?? 3,
      baseDelayMs: initialDelayMs ?? 1000,
      factor: backoffMultiplier ?? 2,
    }
  } else {
    throw new TypeError(`Use ${RETRY_FORMS}`)
  }
  const {
    retries,
    baseDelayMs,
    maxDelayMs = Number.POSITIVE_INFINITY,
    factor = 2,
    onRetry,
  } = options
  if (!Number.isInteger(retries) || retries < 0) {
    throw new TypeError('withRetry(): retries (maxRetries) must be a non-negative integer')
  }
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0) || !(factor >= 1)) {
    throw new TypeError('withRetry(): delays must be ≥ 0 and factor ≥ 1')
  }
  return async (context) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await handler(context)
      } catch (error) {
        if (attempt >= retries) throw error
        const delayMs = Math.min(baseDelayMs * factor ** attempt, maxDelayMs)
        onRetry?.(toError(error), attempt + 1, delayMs)
        // Not unref'd: someone awaits this retry, and a process must not exit under it.
        await new Promise((resolve) => setTimeout(resolve, delayMs))
      }
    }
  }
}

/**
 * Runs the handler only for messages `validator` accepts (seed 004's order:
 * validator first). The validator gets the message (and the context); it
 * rejects by throwing or by returning `false`, and anything else, no return
 * included, accepts. Unlike `withFilter`, a rejected message is an error (so
 * it is reported): `false` becomes one, a throw passes through.
 * @example
 * handle: withValidation((message) => {
 *   if (!message?.type) throw new Error('Missing type')
 * }, handler)
 */
export function withValidation<C extends SubscriberContext, R>(
  validator: (message: C['message'], context: C) => unknown,
  handler: Handler<C, R>,
): (context: C) => Promise<R> {
  const signature = 'withValidation(validator, handler)'
  assertFunction(validator, 'validator', signature)
  assertFunction(handler, 'handler', signature)
  return async (context) => {
    if ((await validator(context.message, context)) === false) {
      throw new Error(
        `subscriber "${context.subscriber.name}": message on channel "${context.channel}" failed validation`,
      )
    }
    return await handler(context)
  }
}

/**
 * Runs the handler only when `predicate` holds (seed 004's order: predicate
 * first); otherwise resolves `undefined` quietly.
 * @throws {TypeError} (the wrapped handler rejects) when the predicate
 * returns anything but a boolean: most likely a handler, the arguments being
 * in the other order.
 * @example handle: withFilter((context) => context.message?.authenticated === true, handler)
 */
export function withFilter<C extends SubscriberContext, R>(
  predicate: (context: C) => boolean | PromiseLike<boolean>,
  handler: Handler<C, R>,
): (context: C) => Promise<R | undefined> {
  const signature = 'withFilter(predicate, handler)'
  assertFunction(predicate, 'predicate', signature)
  assertFunction(handler, 'handler', signature)
  return async (context) => {
    const verdict: unknown = await predicate(context)
    if (typeof verdict !== 'boolean') {
      throw new TypeError(
        `${signature}: the predicate returned ${kindOf(verdict)}, not a boolean; is it the handler (arguments swapped)?`,
      )
    }
    return verdict ? await handler(context) : undefined
  }
}

/** Runs handlers one after another on the same context; a failure stops the rest. Arrays are flattened (seed form). */
export function composeHandlers<C extends SubscriberContext>(
  ...handlers: ReadonlyArray<Handler<C, unknown> | readonly Handler<C, unknown>[]>
): (context: C) => Promise<void> {
  const steps = handlers.flat()
  if (!steps.every((step) => typeof step === 'function')) {
    throw new TypeError('composeHandlers(): every handler must be a function')
  }
  return async (context) => {
    for (const step of steps) await step(context)
  }
}

export function logAt(
  logger: SubscriberLogger,
  level: 'info' | 'debug',
  ...args: [string, ...unknown[]]
) {
  try {
    logger[level]?.(...args)
  } catch {
    // A broken logger must not turn a handled message into a failed one.
  }
}

/** Logs the handler's start (debug), success (info) and failure (error, then rethrown). */
export function withLogging<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  name: string,
  logger: SubscriberLogger = console,
): (context: C) => Promise<R> {
  return async (context) => {
    const started = performance.now()
    logAt(logger, 'debug', `${name}: started`, { channel: context.channel })
    try {
      const result = await handler(context)
      const durationMs = performance.now() - started
      logAt(logger, 'info', `${name}: done`, { channel: context.channel, durationMs })
      return result
    } catch (error) {
      logSafely(logger, 'error', `${name}: failed`, { channel: context.channel, error })
      throw error
    }
  }
}
