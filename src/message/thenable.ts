/** Thenable detection, so synchronous handlers on the message path allocate no promise. */

/** Whether `value` has a callable `then`: a promise or any promise-like. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
