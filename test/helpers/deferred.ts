/** Promises a test settles from outside: an unbounded `deferred` and a bounded `signal`. */
import { within } from './timeout.ts'

/** A promise with its resolver, e.g. for gating an async verifyClient from the test. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

/** A promise resolved from outside, bounded by `within` so a missed call fails with `label`. */
export function signal<T = void>(label: string, ms = 3000) {
  const { promise, resolve } = deferred<T>()
  return { resolve, promise: within(promise, ms, label) }
}
