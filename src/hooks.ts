/** The one place user code is called: sync throws and async rejections are both caught. */
import { toError } from './errors.js'
import type { Logger } from './types.js'

/** A promise or any object with a `then` method: what `await` would wait for. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * Calls `hook(...args)` and routes any failure to `onFailure`. Returns a promise
 * only when the hook returned one, so synchronous listeners on the message path
 * cost no allocation; the returned promise never rejects.
 */
export function invokeHook<Args extends unknown[]>(
  hook: ((...args: Args) => unknown) | undefined,
  args: Args,
  onFailure: (error: Error) => void,
): Promise<void> | undefined {
  if (hook === undefined) return undefined
  let result: unknown
  try {
    result = hook(...args)
  } catch (error) {
    onFailure(toError(error))
    return undefined
  }
  if (!isThenable(result)) return undefined
  return Promise.resolve(result).then(
    () => undefined,
    (error: unknown) => onFailure(toError(error)),
  )
}

/** Logs through the user's logger; a logger that throws is ignored rather than crashing. */
export function logSafely(
  logger: Logger,
  level: 'error' | 'warn',
  message: string,
  ...details: unknown[]
): void {
  try {
    logger[level](message, ...details)
  } catch {
    // Nowhere left to report to: a broken logger must not take the process down.
  }
}
