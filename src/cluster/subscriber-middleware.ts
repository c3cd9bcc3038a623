/** Seed 004's built-in subscriber middleware: logging, timing and rate limiting around a handler. */
import { logSafely } from '../hooks.js'
import { logAt, positive, type SubscriberLogger, windowLimiter } from './subscriber-helpers.js'
import type { SubscriberContext, SubscriberMiddleware } from './subscribers.js'

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
