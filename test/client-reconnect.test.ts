/** The client's reconnect loop over real sockets: backoff, attempts, advice, final codes, handshake query. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ClientErrorCode } from '../src/client/index.ts'
import { manualClock, sequence } from './fixtures/client-clock.ts'
import { clientKit, nextEvent, record } from './fixtures/client-kit.ts'

const kit = clientKit()

describe('backoff', () => {
  test('full jitter: each wait is random() × min(maxDelay, initialDelay × factor^(attempt − 1))', async () => {
    const server = await kit.server()
    server.refuse = true
    const clock = manualClock()
    const client = kit.client(server.url(), {
      timers: clock.timers,
      random: sequence(0.25, 0.5, 0.75, 0.5),
      reconnect: { initialDelay: 1000, factor: 3, maxDelay: 5000 },
    })
    const events = record(client, 'reconnecting')
    const delays: unknown[] = []
    for (let attempt = 1; attempt <= 4; attempt++) {
      delays.push(await nextEvent(events, 'reconnecting'))
      await clock.waitFor()
      assert.equal(client.state, 'reconnecting')
      clock.fire()
    }
    // Ceilings 1000, 3000, 9000 → 5000 (maxDelay), 27000 → 5000.
    assert.deepEqual(delays, [
      { attempt: 1, delay: 250 },
      { attempt: 2, delay: 1500 },
      { attempt: 3, delay: 3750 },
      { attempt: 4, delay: 2500 },
    ])
  })

  test("seed 004's loop: 5 attempts doubling from 1000 ms without jitter, then closed for good", async () => {
    const server = await kit.server()
    server.refuse = true
    const clock = manualClock()
    const client = kit.client(server.url(), {
      timers: clock.timers,
      reconnect: { initialDelay: 1000, factor: 2, maxAttempts: 5, jitter: false },
    })
    const events = record(client, 'reconnecting', 'closed')
    const waits: number[] = []
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.deepEqual(await nextEvent(events, 'closed'), { code: 1006, reason: '', final: false })
      await clock.waitFor()
      waits.push(clock.fire())
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000])
    assert.deepEqual(await nextEvent(events, 'closed'), { code: 1006, reason: '', final: true })
    assert.equal(client.state, 'closed')
    assert.deepEqual(clock.pending(), [])
    assert.equal(server.handshakes.length, 6)
  })

  test('the attempt count restarts after a successful open', async () => {
    const server = await kit.server()
    const clock = manualClock()
    const client = kit.client(server.url(), {
      timers: clock.timers,
      reconnect: { initialDelay: 100, jitter: false },
    })
    const events = record(client, 'open', 'reconnecting')
    for (let round = 0; round < 2; round++) {
      await nextEvent(events, 'open')
      ;(await server.connections.next()).close(1012)
      assert.deepEqual(await nextEvent(events, 'reconnecting'), { attempt: 1, delay: 100 })
      await clock.waitFor(100)
      clock.fire(100)
    }
  })
})

describe('server advice and final closes', () => {
  test('retry advice: the next attempt waits retry × (0.5 + random() / 2)', async () => {
    const server = await kit.server()
    const clock = manualClock()
    const client = kit.client(server.url(), { timers: clock.timers, random: () => 0.5 })
    const events = record(client, 'open', 'reconnecting')
    await nextEvent(events, 'open')
    const conn = await server.connections.next()
    conn.control({ t: 'advice', retry: 2000 })
    conn.close(1012, 'restart')
    assert.deepEqual(await nextEvent(events, 'reconnecting'), { attempt: 1, delay: 1500 })
    await clock.waitFor(1500)
    clock.fire(1500)
    await nextEvent(events, 'open')
  })

  test('final advice: a close that would reconnect is final', async () => {
    const server = await kit.server()
    const clock = manualClock()
    const client = kit.client(server.url(), { timers: clock.timers })
    const events = record(client, 'open', 'closed', 'reconnecting')
    await nextEvent(events, 'open')
    const conn = await server.connections.next()
    conn.control({ t: 'advice', final: true })
    conn.close(4001, 'banned')
    assert.deepEqual(await events.next(), {
      name: 'closed',
      value: { code: 4001, reason: 'banned', final: true },
    })
    assert.equal(client.state, 'closed')
    assert.deepEqual(clock.pending(), [])
  })

  for (const code of [1000, 1002, 1003, 1007, 1008, 1009, 1010]) {
    test(`close code ${code} never reconnects`, async () => {
      const server = await kit.server()
      const clock = manualClock()
      const client = kit.client(server.url(), { timers: clock.timers })
      const events = record(client, 'open', 'closed')
      await nextEvent(events, 'open')
      ;(await server.connections.next()).close(code)
      assert.deepEqual(await nextEvent(events, 'closed'), { code, reason: '', final: true })
      assert.deepEqual(clock.pending(), [])
    })
  }

  test('client.close() is final: no timer, state closed at once, closed event after', async () => {
    const server = await kit.server()
    const clock = manualClock()
    const client = kit.client(server.url(), { timers: clock.timers })
    const events = record(client, 'open', 'closed')
    await nextEvent(events, 'open')
    const conn = await server.connections.next()
    const closing = client.close(4000, 'bye')
    assert.equal(client.state, 'closed')
    await closing
    assert.deepEqual(await nextEvent(events, 'closed'), { code: 4000, reason: 'bye', final: true })
    assert.deepEqual(clock.pending(), [])
    assert.equal(client.send('late'), false)
    await assert.rejects(conn.received.next(100))
  })

  test('client.close() while waiting to reconnect clears the timer and closes at once', async () => {
    const server = await kit.server()
    server.refuse = true
    const clock = manualClock()
    const client = kit.client(server.url(), { timers: clock.timers })
    const events = record(client, 'reconnecting', 'closed')
    await nextEvent(events, 'reconnecting')
    await client.close()
    assert.deepEqual(await nextEvent(events, 'closed'), { code: 1000, reason: '', final: true })
    assert.deepEqual(clock.pending(), [])
  })

  test('reconnect: false makes every close final', async () => {
    const server = await kit.server()
    const client = kit.client(server.url(), { reconnect: false })
    const events = record(client, 'open', 'closed')
    await nextEvent(events, 'open')
    ;(await server.connections.next()).close(1012)
    assert.deepEqual(await nextEvent(events, 'closed'), { code: 1012, reason: '', final: true })
  })
})

describe('handshake query', () => {
  test('roomcast=1 joins the URL’s own query; session and positions are added on reconnect', async () => {
    const server = await kit.server()
    const clock = manualClock()
    const client = kit.client(server.url('?room=lobby&roomcast=0'), { timers: clock.timers })
    const events = record(client, 'open', 'recovered')
    assert.deepEqual(await nextEvent(events, 'open'), {
      recovered: false,
      sessionId: 's-1',
      connectionId: 'c-1',
    })
    const first = await server.connections.next()
    assert.deepEqual(
      [...first.query],
      [
        ['room', 'lobby'],
        ['roomcast', '1'],
      ],
    )
    first.control({ t: 'join', room: 'lobby', offset: 3, epoch: 'e1' })
    first.control({ t: 'join', room: 'gone', offset: 1, epoch: 'e1' })
    first.control({ t: 'leave', room: 'gone' })
    first.msg([['news', 7, 'e2']], 'breaking')
    first.close(1012)
    await clock.waitFor()
    clock.fire()
    const second = await server.connections.next()
    assert.equal(second.query.get('room'), 'lobby')
    assert.equal(second.query.get('roomcast'), '1')
    assert.equal(second.query.get('roomcast_session'), 's-1')
    assert.deepEqual(JSON.parse(second.query.get('roomcast_positions') ?? ''), {
      lobby: [3, 'e1'],
      news: [7, 'e2'],
    })
    assert.deepEqual(await nextEvent(events, 'open'), {
      recovered: true,
      sessionId: 's-1',
      connectionId: 'c-2',
    })
    assert.deepEqual(await nextEvent(events, 'recovered'), {
      sessionId: 's-1',
      connectionId: 'c-2',
    })
  })

  test('the token provider runs before every attempt; its value goes in tokenParam', async () => {
    const server = await kit.server()
    server.refuse = true
    const clock = manualClock()
    let calls = 0
    const client = kit.client(server.url('?a=1'), {
      timers: clock.timers,
      tokenParam: 'auth',
      token: async () => `t${++calls}`,
    })
    const events = record(client, 'reconnecting', 'open')
    await nextEvent(events, 'reconnecting')
    await clock.waitFor()
    server.refuse = false
    clock.fire()
    await nextEvent(events, 'open')
    assert.deepEqual(
      server.handshakes.map((query) => [query.get('a'), query.get('auth')]),
      [
        ['1', 't1'],
        ['1', 't2'],
      ],
    )
  })

  test('a failing token provider is an ERR_TOKEN error and a failed attempt', async () => {
    const server = await kit.server()
    const clock = manualClock()
    let calls = 0
    const client = kit.client(server.url(), {
      timers: clock.timers,
      token: () => {
        calls += 1
        if (calls === 1) throw new Error('auth service down')
        return 'ok'
      },
    })
    const events = record(client, 'error', 'reconnecting', 'open')
    const error = (await nextEvent(events, 'error')) as Error & { code: string; cause: Error }
    assert.equal(error.code, ClientErrorCode.Token)
    assert.equal(error.cause.message, 'auth service down')
    assert.equal(((await nextEvent(events, 'reconnecting')) as { attempt: number }).attempt, 1)
    await clock.waitFor()
    clock.fire()
    await nextEvent(events, 'open')
    assert.equal(server.handshakes.length, 1)
    assert.equal(server.handshakes[0]?.get('token'), 'ok')
  })
})
