/** Options that are derived from others, or bounded by what timers and routes can do. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createWebSocket, RoomcastError } from '../src/index.ts'
import { resolveOptions } from '../src/options/options.ts'

function invalidOption(fn: () => unknown, name: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RoomcastError)
    assert.equal(error.code, 'ERR_INVALID_OPTION')
    assert.match(error.message, new RegExp(`"${name}"`))
    return true
  })
}

describe('derived and bounded options', () => {
  test('a long heartbeatInterval alone gets clientTimeout = twice the interval', () => {
    assert.equal(resolveOptions({ heartbeatInterval: 90_000 }).clientTimeout, 180_000)
    assert.equal(resolveOptions({ heartbeatInterval: 10_000 }).clientTimeout, 60_000)
    assert.equal(resolveOptions({}).clientTimeout, 60_000)
  })

  test('an explicit clientTimeout not above heartbeatInterval is still refused', () => {
    invalidOption(
      () => createWebSocket({ heartbeatInterval: 90_000, clientTimeout: 90_000 }),
      'clientTimeout',
    )
  })

  test('durations past the largest timer delay are refused, not clamped to 1 ms by Node', () => {
    for (const name of ['heartbeatInterval', 'handshakeTimeout', 'closeTimeout'] as const) {
      invalidOption(() => createWebSocket({ [name]: 3e9 }), name)
    }
    invalidOption(
      () => createWebSocket({ heartbeatInterval: 1000, clientTimeout: 3e9 }),
      'clientTimeout',
    )
    assert.equal(resolveOptions({ closeTimeout: 2_147_483_647 }).closeTimeout, 2_147_483_647)
  })

  test('the startup queue is always bounded: maxQueuedBytes 0 is refused', () => {
    invalidOption(() => createWebSocket({ maxQueuedBytes: 0 }), 'maxQueuedBytes')
    assert.equal(resolveOptions({ maxQueuedBytes: 1 }).maxQueuedBytes, 1)
  })

  test('a bad or repeated path pattern is an invalid "path" option, with the route error as cause', () => {
    for (const path of ['chat', ['/a', '/a'], '/a/*/b']) {
      assert.throws(
        () => createWebSocket({ path }),
        (error: unknown) => {
          assert.ok(error instanceof RoomcastError)
          assert.equal(error.code, 'ERR_INVALID_OPTION')
          assert.match(error.message, /"path"/)
          assert.ok(error.cause instanceof RoomcastError)
          assert.match((error.cause as RoomcastError).code, /^ERR_(INVALID|DUPLICATE)_ROUTE$/)
          return true
        },
      )
    }
  })
})
