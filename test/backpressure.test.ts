/** Flow control: a client that stops reading costs bounded memory and nobody else anything. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { rawSocketOf } from '../src/connection/ws-internals.ts'
import type { BackpressurePolicy, WSConnection } from '../src/index.ts'
import { type Harness, harness, type Pair } from './helpers/capture.ts'
import { within } from './helpers/timeout.ts'

// 20 messages of 8 KiB go out per event-loop turn: a burst must fit under the limit.
const LIMIT = 256 * 1024
const MESSAGES = 2000
const BODY = 'x'.repeat(8 * 1024 - 16)

/** Counts every message a client receives, in order, without the per-message queue. */
function counter(pair: Pair) {
  const state = { count: 0, inOrder: true, last: -1 }
  pair.client.ws.on('message', (data) => {
    const index = Number(String(data).slice(0, 8))
    if (index <= state.last) state.inOrder = false
    state.last = index
    state.count++
  })
  return state
}

interface Room {
  h: Harness
  slow: Pair
  fast: Pair[]
}

async function room(policy: BackpressurePolicy): Promise<Room> {
  const h = await harness({ maxBackpressure: LIMIT, backpressurePolicy: policy })
  const slow = await h.open()
  const fast = [await h.open(), await h.open()]
  for (const pair of [slow, ...fast]) pair.conn.join('r')
  // The slow client stops reading: the kernel buffers fill, then the server's.
  rawSocketOf(slow.client.ws).pause()
  return { h, slow, fast }
}

/** Broadcasts MESSAGES numbered messages, 20 per event-loop turn; tracks the slow buffer. */
async function flood(h: Harness, slow: WSConnection): Promise<number> {
  let peak = 0
  for (let i = 0; i < MESSAGES; i += 20) {
    for (let j = i; j < i + 20; j++) {
      h.srv.wss.broadcastToRoom('r', `${String(j).padStart(8, '0')}${BODY}`)
      peak = Math.max(peak, slow.bufferedAmount)
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  return peak
}

async function allReceived(states: Array<{ count: number }>): Promise<void> {
  const deadline = Date.now() + 5000
  while (states.some((s) => s.count < MESSAGES)) {
    if (Date.now() > deadline) throw new Error(`fast clients got ${states.map((s) => s.count)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe("policy 'drop'", () => {
  test('the slow connection stays under maxBackpressure; the others get every message in order', async () => {
    const { h, slow, fast } = await room('drop')
    try {
      const fastCounts = fast.map(counter)
      const slowCount = counter(slow)
      const drained = new Promise<void>((resolve) => slow.conn.once('drain', () => resolve()))
      const peak = await flood(h, slow.conn)

      await allReceived(fastCounts)
      assert.ok(fastCounts.every((s) => s.inOrder))
      // The limit applies to bytes left over from earlier flushes; on top of it sit at most one
      // coalescing batch (64 KiB, flushed once full) and the message being written, plus headers.
      assert.ok(peak <= LIMIT + 64 * 1024 + 8 * 1024 + 64, `slow connection buffered ${peak} bytes`)
      const dropped = h.srv.wss.getStats().messagesDropped
      assert.ok(dropped > 0, 'messages were dropped for the slow connection')

      rawSocketOf(slow.client.ws).resume()
      await within(drained, 5000, 'drain event')
      const deadline = Date.now() + 5000
      while (slowCount.count + dropped < MESSAGES && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      assert.equal(slowCount.count + dropped, MESSAGES, 'every message was sent or counted dropped')
      assert.ok(slowCount.inOrder)
      assert.equal(slow.conn.isOpen, true)
    } finally {
      await h.close()
    }
  })

  test('volatile messages skip a connection with unsent data and reach the rest', async () => {
    const { h, slow } = await room('drop')
    try {
      assert.equal(h.srv.wss.to('r').volatile.send('idle: all three'), 3)
      await flood(h, slow.conn)
      const before = h.srv.wss.getStats().messagesDropped
      assert.ok(slow.conn.bufferedAmount > 0)
      assert.equal(h.srv.wss.to('r').volatile.send('position'), 2)
      assert.equal(h.srv.wss.getStats().messagesDropped, before + 1)
    } finally {
      await h.close()
    }
  })
})

describe("policy 'close'", () => {
  test('the slow connection is closed with 1013; the others get every message', async () => {
    const { h, slow, fast } = await room('close')
    try {
      const fastCounts = fast.map(counter)
      await flood(h, slow.conn)
      await allReceived(fastCounts)
      assert.equal(h.srv.wss.getStats().closedForBackpressure, 1)
      assert.equal(slow.conn.isOpen, false)
      rawSocketOf(slow.client.ws).resume()
      const closed = await within(slow.client.closed, 5000, 'slow client close')
      assert.deepEqual(closed, { code: 1013, reason: 'Backpressure limit exceeded' })
    } finally {
      await h.close()
    }
  })
})

describe('a burst to a client that reads', () => {
  test('more than maxBackpressure written in one tick is coalescing, not backpressure', async () => {
    const h = await harness({ maxBackpressure: 64 * 1024, backpressurePolicy: 'close' })
    try {
      const pair = await h.open()
      const big = 'y'.repeat(512 * 1024)
      assert.equal(pair.conn.send(big), true)
      assert.equal(pair.conn.json({ type: 'done' }), true)
      for (let i = 0; i < 200; i++) assert.equal(pair.conn.send(`history ${i}`), true)
      assert.equal(await pair.client.next(), big)
      assert.equal(await pair.client.next(), '{"type":"done"}')
      for (let i = 0; i < 200; i++) assert.equal(await pair.client.next(), `history ${i}`)
      const stats = h.srv.wss.getStats()
      assert.deepEqual([stats.messagesDropped, stats.closedForBackpressure], [0, 0])
      assert.equal(pair.conn.isOpen, true)
    } finally {
      await h.close()
    }
  })
})

describe('trySend / tryJson say what happened', () => {
  /** Sends 8 KiB messages, 20 per event-loop turn, to a client that stopped reading. */
  async function statuses(policy: BackpressurePolicy): Promise<string[]> {
    const h = await harness({
      maxBackpressure: LIMIT,
      backpressurePolicy: policy,
      closeTimeout: 100,
    })
    const slow = await h.open()
    rawSocketOf(slow.client.ws).pause()
    const seen: string[] = []
    try {
      for (let i = 0; i < MESSAGES; i++) {
        const status = slow.conn.trySend(BODY)
        if (seen.at(-1) !== status) seen.push(status)
        if (status === 'dropped' || status === 'closed') break
        if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve))
      }
      return seen
    } finally {
      await h.close()
    }
  }

  test("policy 'drop': sent, then buffered past half the limit, then dropped", async () => {
    assert.deepEqual(await statuses('drop'), ['sent', 'buffered', 'dropped'])
  })

  test("policy 'close': sent, buffered, then closed", async () => {
    assert.deepEqual(await statuses('close'), ['sent', 'buffered', 'closed'])
  })

  test("a closed connection answers 'closed'; send() keeps seed 000's false", async () => {
    const h = await harness()
    try {
      const pair = await h.open()
      assert.equal(pair.conn.tryJson({ ok: true }), 'sent')
      pair.conn.close()
      assert.equal(pair.conn.tryJson({ ok: true }), 'closed')
      assert.equal(pair.conn.trySend('late'), 'closed')
      assert.equal(pair.conn.send('late'), false)
    } finally {
      await h.close()
    }
  })
})
