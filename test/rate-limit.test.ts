/** TokenBucket: bursts up to capacity, continuous lazy refill, once-per-interval notification. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { TokenBucket } from '../src/message/rate-limit.ts'

function takeMany(bucket: TokenBucket, count: number, now: number): number {
  let taken = 0
  for (let i = 0; i < count; i++) if (bucket.take(now)) taken++
  return taken
}

describe('TokenBucket', () => {
  test('starts full: a burst of capacity passes, the next take is refused', () => {
    const bucket = new TokenBucket(5, 1_000)
    assert.equal(takeMany(bucket, 5, 0), 5)
    assert.equal(bucket.take(0), false)
    assert.equal(bucket.take(0), false)
  })

  test('refills continuously: capacity / interval tokens per millisecond', () => {
    const bucket = new TokenBucket(10, 1_000) // one token per 100 ms
    assert.equal(takeMany(bucket, 10, 0), 10)
    assert.equal(bucket.take(99), false)
    assert.equal(bucket.take(100), true) // 99 + 1 ms refilled exactly one token
    assert.equal(bucket.take(100), false)
    assert.equal(takeMany(bucket, 10, 400), 3)
  })

  test('never refills beyond capacity', () => {
    const bucket = new TokenBucket(3, 100)
    assert.equal(takeMany(bucket, 3, 0), 3)
    assert.equal(takeMany(bucket, 10, 1_000_000), 3)
  })

  test('a refused take costs nothing', () => {
    const bucket = new TokenBucket(1, 100)
    assert.equal(bucket.take(0), true)
    for (let now = 0; now < 100; now += 10) assert.equal(bucket.take(now), false)
    assert.equal(bucket.take(100), true)
  })

  test('a clock that goes backwards refills nothing and does not stall the bucket', () => {
    const bucket = new TokenBucket(2, 100)
    assert.equal(takeMany(bucket, 2, 1_000), 2)
    assert.equal(bucket.take(500), false)
    assert.equal(bucket.take(550), true) // refilled from the new reading, not from 1000
  })

  test('defaults to the real clock', () => {
    const bucket = new TokenBucket(2, 60_000)
    assert.equal(bucket.take(), true)
    assert.equal(bucket.take(), true)
    assert.equal(bucket.take(), false)
  })

  test('shouldNotify is true at most once per interval', () => {
    const bucket = new TokenBucket(1, 1_000)
    assert.equal(bucket.shouldNotify(0), true)
    assert.equal(bucket.shouldNotify(1), false)
    assert.equal(bucket.shouldNotify(999), false)
    assert.equal(bucket.shouldNotify(1_000), true)
    assert.equal(bucket.shouldNotify(1_500), false)
    assert.equal(bucket.shouldNotify(5_000), true)
  })

  test('shouldNotify is independent of the tokens', () => {
    const bucket = new TokenBucket(1, 1_000)
    assert.equal(bucket.take(0), true)
    assert.equal(bucket.take(0), false)
    assert.equal(bucket.shouldNotify(0), true)
    assert.equal(bucket.take(1_000), true)
    assert.equal(bucket.shouldNotify(500), false)
  })

  test('rejects a capacity or interval that is not finite and positive', () => {
    for (const [capacity, interval] of [
      [0, 1_000],
      [-1, 1_000],
      [Number.NaN, 1_000],
      [Number.POSITIVE_INFINITY, 1_000],
      [5, 0],
      [5, Number.NaN],
    ] as const) {
      assert.throws(() => new TokenBucket(capacity, interval), RangeError)
    }
  })
})
