/** wss.shutdown(): option checks, 1012 in batches, the timeout, 503 meanwhile, one promise with close(). */
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { afterEach, describe, test } from 'node:test'
import WebSocket from 'ws'
import { ErrorCode, RoomcastError, type RoomcastServer } from '../src/index.ts'
import { closedOf, handshakeOutcome, type TestClient } from './helpers/client.ts'
import { closeFrameFrom, rawUpgrade, upgradeRequest } from './helpers/raw-socket.ts'
import { refused } from './helpers/refused.ts'
import { closeAll, serverFixture } from './helpers/teardown.ts'
import { within } from './helpers/timeout.ts'

const { open, serve } = serverFixture()
const sockets: Socket[] = []
afterEach(() => closeAll({ sockets }))

const RESTART_REASON = /^Server restarting; retry in (\d+) ms$/
const echo = (wss: RoomcastServer) => wss.on('/', () => {})

/** The client's close, with the time it arrived. */
const timedClose = (client: TestClient) =>
  client.closed.then((closed) => ({ ...closed, at: performance.now() }))

describe('shutdown() options', () => {
  test('unknown keys are refused at every level, with the near miss', async () => {
    const { wss } = await serve(echo)
    const cases: Array<[unknown, string]> = [
      [{ timout: 1 }, 'shutdown(): Unknown option "timout": did you mean "timeout"?'],
      [
        { drain: { batchsize: 5 } },
        'shutdown(): Unknown option "drain.batchsize": did you mean "batchSize"?',
      ],
      [{ retry: { max: 5 } }, 'shutdown(): Unknown option "retry.max"'],
    ]
    for (const [options, message] of cases) {
      await assert.rejects(wss.shutdown(options as never), refused(message), message)
    }
  })

  test('values out of range are refused, naming the option', async () => {
    const { wss } = await serve(echo)
    const cases: Array<[unknown, string]> = [
      [
        { drain: { batchSize: 0 } },
        'Invalid option "drain.batchSize": expected an integer ≥ 1, got 0',
      ],
      [
        { drain: { batchSize: 1.5 } },
        'Invalid option "drain.batchSize": expected an integer ≥ 1, got 1.5',
      ],
      [
        { drain: { batchSize: '10' } },
        'Invalid option "drain.batchSize": expected an integer ≥ 1, got "10"',
      ],
      [
        { drain: { interval: -1 } },
        'Invalid option "drain.interval": expected an integer ≥ 0 up to 2147483647 ms, got -1',
      ],
      [
        { timeout: Number.POSITIVE_INFINITY },
        'Invalid option "timeout": expected an integer ≥ 0 up to 2147483647 ms, got Infinity',
      ],
      [
        { retry: { minDelay: -5 } },
        'Invalid option "retry.minDelay": expected an integer ≥ 0 up to 2147483647 ms, got -5',
      ],
      [
        { retry: { spread: 0.5 } },
        'Invalid option "retry.spread": expected an integer ≥ 0 up to 2147483647 ms, got 0.5',
      ],
      [{ drain: 5 }, 'Invalid option "drain": expected an options object, got 5'],
      [{ retry: null }, 'Invalid option "retry": expected an options object, got null'],
      ['fast', 'Invalid option "shutdown() options": expected an options object, got "fast"'],
    ]
    for (const [options, message] of cases) {
      await assert.rejects(wss.shutdown(options as never), refused(message), message)
    }
  })

  test('a refused call changes nothing: the server still accepts', async () => {
    const server = await serve(echo)
    await assert.rejects(
      server.wss.shutdown({ drain: { batchSize: 0 } }),
      refused('Invalid option "drain.batchSize": expected an integer ≥ 1, got 0'),
    )
    assert.equal(server.wss.health().closing, false)
    assert.equal(await handshakeOutcome(server.url()), 101)
  })
})

describe('shutdown()', () => {
  test('1012 with a retry hint in the reason; handshakes meanwhile get 503; the server ends released', async () => {
    const server = await serve(echo)
    const first = await open(server.url())
    const second = await open(server.url())
    const done = server.wss.shutdown({
      drain: { batchSize: 1, interval: 300 },
      retry: { minDelay: 500, spread: 100 },
    })
    assert.equal(server.wss.health().closing, true)
    const closed = await closedOf(first)
    assert.equal(closed.code, 1012)
    const retry = Number(RESTART_REASON.exec(closed.reason)?.[1])
    assert.ok(retry >= 500 && retry < 600, `advised ${retry} ms`)
    // Mid-drain: the second client is still served, a new one is refused.
    assert.equal(second.ws.readyState, WebSocket.OPEN)
    assert.equal(await handshakeOutcome(server.url()), 503)
    await within(done, 2000, 'shutdown()')
    assert.equal((await closedOf(second)).code, 1012)
    // A plain client never sees a control frame.
    await first.nothingWithin(1)
    await second.nothingWithin(1)
    assert.equal(server.http.listenerCount('upgrade'), 0)
    assert.equal(server.http.listening, true, 'an attached server stays the app’s')
    assert.deepEqual(server.wss.getStats().handshakesRejected, { 503: 1 })
    assert.throws(
      () => server.wss.attach(server.http),
      (error: unknown) => error instanceof RoomcastError && error.code === ErrorCode.ServerClosed,
    )
  })

  test('the server listen() made is closed with it', async () => {
    const server = await serve(echo)
    const own = await server.wss.listen(0, '127.0.0.1')
    await within(server.wss.shutdown({ drain: { interval: 0 } }), 2000, 'shutdown()')
    assert.equal(own.listening, false)
  })

  test('batches of batchSize, interval apart; a connection that closed on its own is not counted', async () => {
    const server = await serve(echo)
    const clients: TestClient[] = []
    for (let i = 0; i < 5; i++) clients.push(await open(server.url()))
    const closes = clients.map(timedClose)
    const start = performance.now()
    const done = server.wss.shutdown({ drain: { batchSize: 2, interval: 250 } })
    await closedOf(clients[0] as TestClient)
    // Leaves between the batches: the next batch is the two after it, not it and one more.
    clients[2]?.close(1000, 'leaving')
    const results = await within(Promise.all(closes), 3000, 'every close')
    const finished = await within(
      done.then(() => performance.now()),
      2000,
      'shutdown()',
    )
    assert.deepEqual(
      results.map((r) => r.code),
      [1012, 1012, 1000, 1012, 1012],
    )
    const after = results.map((r) => Math.round(r.at - start))
    assert.ok((after[0] as number) < 100 && (after[1] as number) < 100, `first batch ${after}`)
    for (const at of [after[3], after[4]] as number[]) {
      assert.ok(at >= 240 && at < 480, `second batch at ${after}`)
    }
    // No third batch was waited for: nothing was left to close.
    assert.ok(finished - start < 480, `finished after ${finished - start} ms`)
  })

  test('timeout caps it all: the connections not yet closed are terminated', async () => {
    const server = await serve(echo)
    // Never answers the close frame it gets in the first batch.
    const { socket, head } = await rawUpgrade(server.port, upgradeRequest('/'), sockets)
    assert.match(head, /^HTTP\/1\.1 101 /)
    const silentEnd = new Promise<number>((resolve) =>
      socket.once('close', () => resolve(performance.now())),
    )
    const frame = closeFrameFrom(socket)
    const later = [await open(server.url()), await open(server.url())]
    const start = performance.now()
    const done = server.wss.shutdown({ timeout: 300, drain: { batchSize: 1, interval: 10_000 } })
    const sent = await frame
    assert.equal(sent.code, 1012)
    assert.match(sent.reason, RESTART_REASON)
    const ends = await within(Promise.all(later.map(timedClose)), 3000, 'terminated clients')
    assert.deepEqual(
      ends.map((end) => end.code),
      [1006, 1006],
    )
    for (const end of ends) assert.ok(end.at - start >= 290, `terminated at ${end.at - start} ms`)
    assert.ok((await within(silentEnd, 2000, 'silent socket end')) - start >= 290)
    const finished = await within(
      done.then(() => performance.now()),
      2000,
      'shutdown()',
    )
    assert.ok(finished - start < 1000, `finished after ${finished - start} ms`)
    assert.equal(server.wss.getConnectionCount(), 0)
  })

  test('close() and shutdown() share one promise, whichever came first', async () => {
    const draining = await serve(echo)
    const a = await open(draining.url())
    const shutdown = draining.wss.shutdown({ drain: { batchSize: 1, interval: 50 } })
    assert.equal(draining.wss.close(), shutdown)
    assert.equal(draining.wss.shutdown(), shutdown)
    // Still checked, though the shutdown under way keeps its own options.
    await assert.rejects(
      draining.wss.shutdown({ timeout: -1 }),
      refused('Invalid option "timeout": expected an integer ≥ 0 up to 2147483647 ms, got -1'),
    )
    assert.equal((await closedOf(a)).code, 1012)
    await within(shutdown, 2000, 'shutdown()')

    const closing = await serve(echo)
    const b = await open(closing.url())
    const close = closing.wss.close()
    assert.equal(closing.wss.shutdown(), close)
    assert.deepEqual(await closedOf(b), { code: 1001, reason: 'Server shutting down' })
    await within(close, 2000, 'close()')
  })
})
