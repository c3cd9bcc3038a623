/** Asserting option refusals: a `RoomcastError` with `ERR_INVALID_OPTION` and the exact message. */
import assert from 'node:assert/strict'
import { ErrorCode, RoomcastError } from '../../src/index.ts'

/** What `assert.throws` checks: the code, and the exact message. */
export function refused(message: string) {
  return (error: unknown) => {
    assert.ok(error instanceof RoomcastError, `not a RoomcastError: ${String(error)}`)
    assert.equal(error.code, ErrorCode.InvalidOption)
    assert.equal(error.message, message)
    return true
  }
}
