/** The clock the client schedules on: injectable for tests, bound to the global one by default. */

/** `setTimeout`/`clearTimeout` (and a time source) the client calls, unbound; e.g. a fake clock in tests. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  /** Milliseconds since some epoch, for `buffer.ttl`. @default Date.now */
  now?(): number
}

/** Timers with `now` filled in, called unbound (a browser's `setTimeout` refuses a foreign `this`). */
export interface Clock {
  readonly set: (callback: () => void, ms: number) => unknown
  readonly clear: (handle: unknown) => void
  readonly now: () => number
}

// setTimeout fires at once for delays past 2^31 - 1 ms; larger delays wait the longest it can.
const LONGEST_DELAY = 2 ** 31 - 1

/**
 * The clock over `timers`, or over the global timers. Its timers are not
 * `unref()`ed in Node: a client waiting to reconnect, or for a reply, is work
 * the process should stay up for, as it would for the open socket.
 */
export function clockOf(timers: Timers | undefined): Clock {
  if (timers === undefined) {
    return {
      set: (callback, ms) => globalThis.setTimeout(callback, Math.min(ms, LONGEST_DELAY)),
      clear: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
      now: () => Date.now(),
    }
  }
  // Called unbound: `{ setTimeout, clearTimeout }` taken from a browser's window work as they are.
  const { setTimeout: set, clearTimeout: clear, now } = timers
  return {
    set: (callback, ms) => set(callback, Math.min(ms, LONGEST_DELAY)),
    clear: (handle) => clear(handle),
    now: now === undefined ? () => Date.now() : () => now(),
  }
}
