/** Seed 004's subscriber helpers: message matchers, handler wrappers and built-in middleware. */
import { toError } from '../errors.js'
import { logSafely } from '../hooks.js'
import type { Logger } from '../types.js'
import type { ChannelPredicate, SubscriberContext, SubscriberMiddleware } from './subscribers.js'

/** `Logger` plus the optional levels the logging helpers use for routine events. */
export interface SubscriberLogger extends Logger {
  info?(message: string, ...details: unknown[]): void
  debug?(message: string, ...details: unknown[]): void
}

/** A property of the message: a dotted path (`'user.id'`, `'items.0'`) or its segments. */
export type PropertyPath = string | readonly string[]

type Handler<C, R> = (context: C) => R | PromiseLike<R>

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

function positive(value: unknown, name: string, helper: string, integer = false): number {
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new TypeError(`${helper}(): ${name} must be a positive ${integer ? 'integer' : 'number'}`)
  }
  return value
}

/** A sliding window of start times: at most `max` calls in any `windowMs`; no timers. */
function windowLimiter(max: number, windowMs: number, now: () => number): () => boolean {
  const starts: number[] = []
  return () => {
    const time = now()
    while (starts.length > 0 && (starts[0] as number) <= time - windowMs) starts.shift()
    if (starts.length >= max) return false
    starts.push(time)
    return true
  }
}

export interface RateLimitOptions<C> {
  /** Calls allowed in any window. */
  max: number
  windowMs: number
  /** Told about each dropped call. */
  onLimited?: (context: C) => unknown
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number
}

/** Drops calls beyond `max` in any `windowMs` (they resolve `undefined`); the window is shared by every channel. */
export function withRateLimit<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  options: RateLimitOptions<C>,
): (context: C) => Promise<R | undefined> {
  const max = positive(options.max, 'max', 'withRateLimit', true)
  const windowMs = positive(options.windowMs, 'windowMs', 'withRateLimit')
  const allow = windowLimiter(max, windowMs, options.now ?? Date.now)
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

/** Runs the handler again after failures, waiting `baseDelayMs × factor^n` (capped); rejects with the last error. */
export function withRetry<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  options: RetryOptions,
): (context: C) => Promise<R> {
  const {
    retries,
    baseDelayMs,
    maxDelayMs = Number.POSITIVE_INFINITY,
    factor = 2,
    onRetry,
  } = options
  if (!Number.isInteger(retries) || retries < 0) {
    throw new TypeError('withRetry(): retries must be a non-negative integer')
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
 * Runs the handler only for messages `validate` accepts. Unlike `withFilter`,
 * a rejected message is an error (so it is reported): `false` becomes one, a throw passes through.
 */
export function withValidation<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  validate: (message: unknown, context: C) => boolean | Promise<boolean>,
): (context: C) => Promise<R> {
  return async (context) => {
    if ((await validate(context.message, context)) !== true) {
      throw new Error(
        `subscriber "${context.subscriber.name}": message on channel "${context.channel}" failed validation`,
      )
    }
    return await handler(context)
  }
}

/** Runs the handler only when `predicate` holds; otherwise resolves `undefined` quietly. */
export function withFilter<C extends SubscriberContext, R>(
  handler: Handler<C, R>,
  predicate: (context: C) => boolean | Promise<boolean>,
): (context: C) => Promise<R | undefined> {
  return async (context) => ((await predicate(context)) ? await handler(context) : undefined)
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

function logAt(logger: SubscriberLogger, level: 'info' | 'debug', ...args: [string, ...unknown[]]) {
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

/** Logs each message's subscriber, channel and outcome; never suppresses errors. */
export function loggingMiddleware(logger?: SubscriberLogger): SubscriberMiddleware
export function loggingMiddleware(label: string, logger?: SubscriberLogger): SubscriberMiddleware
export function loggingMiddleware(
  first?: string | SubscriberLogger,
  second?: SubscriberLogger,
): SubscriberMiddleware {
  const label = typeof first === 'string' ? first : undefined
  const logger = (typeof first === 'object' ? first : second) ?? console
  const who = (context: SubscriberContext) => label ?? context.subscriber.name
  return {
    name: 'logging',
    onBefore: (context) => logAt(logger, 'debug', `${who(context)}: ${context.channel} received`),
    onAfter: (context) => logAt(logger, 'info', `${who(context)}: ${context.channel} handled`),
    onError: (context, error) => {
      logSafely(logger, 'error', `${who(context)}: ${context.channel} failed`, error)
      return false
    },
  }
}

/** Receives how long a subscriber took, from this middleware's `onBefore` to the outcome. */
export type TimingListener = (
  durationMs: number,
  context: SubscriberContext,
  outcome: 'handled' | 'failed',
) => void

/**
 * Measures each run; place it first so the time includes the other middleware.
 * Without a listener the duration goes to `console.info`.
 */
export function timingMiddleware(onTiming?: TimingListener): SubscriberMiddleware {
  // Keyed by context: each run gets its own context object, and entries vanish with it.
  const starts = new WeakMap<object, number>()
  const report: TimingListener =
    onTiming ??
    ((durationMs, context, outcome) =>
      logAt(
        console,
        'info',
        `${context.subscriber.name}: ${outcome} in ${durationMs.toFixed(1)} ms`,
      ))
  const finish = (context: SubscriberContext, outcome: 'handled' | 'failed') => {
    const started = starts.get(context)
    if (started === undefined) return
    starts.delete(context)
    report(performance.now() - started, context, outcome)
  }
  return {
    name: 'timing',
    onBefore: (context) => {
      starts.set(context, performance.now())
    },
    onAfter: (context) => finish(context, 'handled'),
    onError: (context) => {
      finish(context, 'failed')
      return false
    },
  }
}

/**
 * Skips the handler past `max` runs in any `windowMs`. Each call makes its own
 * window, so sharing one instance between subscribers shares the budget.
 */
export function rateLimitMiddleware(
  max: number,
  windowMs: number,
  options: { now?: () => number } = {},
): SubscriberMiddleware {
  const allow = windowLimiter(
    positive(max, 'max', 'rateLimitMiddleware', true),
    positive(windowMs, 'windowMs', 'rateLimitMiddleware'),
    options.now ?? Date.now,
  )
  return { name: 'rate-limit', onBefore: () => allow() }
}
