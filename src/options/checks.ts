/** The checks every option goes through: integers in range, durations, one error shape. */
import { ErrorCode, RoomcastError } from '../errors.js'

export function invalid(name: string, expected: string, value: unknown): RoomcastError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return new RoomcastError(
    ErrorCode.InvalidOption,
    `Invalid option "${name}": expected ${expected}, got ${shown}`,
  )
}

/** Node clamps longer timer delays to 1 ms, which would turn a long timeout into a busy loop. */
export const MAX_TIMER_DELAY = 2_147_483_647

/**
 * An integer option within bounds (`given`, else `fallback`).
 * @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option.
 */
export function count(
  name: string,
  given: unknown,
  { min = 0, max = Number.MAX_SAFE_INTEGER } = {},
  fallback?: number,
): number {
  const value = given ?? fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === MAX_TIMER_DELAY ? ` up to ${max} ms` : ''
    throw invalid(name, `an integer ≥ ${min}${range}`, value)
  }
  return value
}

/** Bounds of a duration option: Node timers take at most 2^31−1 ms. */
export const duration = { max: MAX_TIMER_DELAY }
