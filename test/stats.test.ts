/** wss.getStats(): connections, rooms, totals, traffic in and out, rejected handshakes by status. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import type { WebSocketOptions, WSConnection } from '../src/index.ts'
import { harness as captureHarness, type Harness } from './helpers/capture.ts'
import { refusedStatus } from './helpers/client.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { recordingLogger } from './helpers/server.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const ORIGIN = 'http://app.test'

/** The shared harness with a server on `/ws` (only), clients connecting with Origin ORIGIN. */
function harness(options: WebSocketOptions = {}): Promise<Harness> {
  return captureHarness({ path: '/ws', ...options }, { path: '/ws', client: { origin: ORIGIN } })
}

/** Resolves with the next `n` messages the server-side connection receives. */
function serverReceives(conn: WSConnection, n: number): Promise<Array<string | Buffer>> {
  const got: Array<string | Buffer> = []
  return within(
    new Promise((resolve) => {
      const listener = (message: string | Buffer) => {
        got.push(message)
        if (got.length === n) {
          conn.off('message', listener)
          resolve(got)
        }
      }
      conn.on('message', listener)
    }),
    2000,
    `${n} messages on the server`,
  )
}

const ZERO = {
  connections: 0,
  rooms: 0,
  connectionsTotal: 0,
  messagesIn: 0,
  messagesOut: 0,
  bytesIn: 0,
  bytesOut: 0,
  messagesDropped: 0,
  closedForBackpressure: 0,
  messagesRateLimited: 0,
  repliesDropped: 0,
  tokensExpired: 0,
  tokensRefreshed: 0,
  tokenRefreshesRefused: 0,
  connectionsRevoked: 0,
  handshakesRejected: {},
}

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

describe('wss.getStats()', () => {
  test('a new server reports all zeros', async () => {
    h = await harness()
    assert.deepEqual(h.srv.wss.getStats(), ZERO)
  })

  test('counts connections, rooms and traffic of a scripted exchange exactly', async () => {
    h = await harness()
    const wss = h.srv.wss
    const a = await h.open()
    const b = await h.open()
    const c = await h.open()
    a.conn.join('r1')
    b.conn.join('r1')
    c.conn.join('r2')
    c.conn.join('r3')
    c.conn.leave('r3')
    assert.deepEqual(wss.getStats(), { ...ZERO, connections: 3, rooms: 2, connectionsTotal: 3 })

    // In: 'abc' (3 bytes) and a 4-byte buffer → 2 messages, 7 bytes.
    const received = serverReceives(a.conn, 2)
    a.client.send('abc')
    a.client.send(Buffer.from([1, 2, 3, 4]))
    assert.deepEqual(await received, ['abc', Buffer.from([1, 2, 3, 4])])
    assert.equal(wss.getStats().messagesIn, 2)
    assert.equal(wss.getStats().bytesIn, 7)

    // Out: every delivery counts once per recipient.
    assert.equal(wss.broadcast('hello'), 3) // 3 × 5 bytes
    assert.equal(wss.broadcastToRoom('r1', Buffer.alloc(10)), 2) // 2 × 10 bytes
    assert.equal(a.conn.broadcast('r1', 'xy'), 1) // 1 × 2 bytes
    assert.equal(c.conn.json({ a: 1 }), true) // 1 × 7 bytes: {"a":1}
    assert.equal(wss.broadcastJsonToRoom('r2', [1, 2]), 1) // 1 × 5 bytes: [1,2]
    assert.equal(wss.broadcastToRoom('empty', 'nobody'), 0)
    assert.equal(wss.broadcast('ex', b.conn.id), 2) // 2 × 2 bytes
    assert.deepEqual(
      [await a.client.next(), await a.client.next(), await a.client.next()],
      ['hello', Buffer.alloc(10), 'ex'],
    )
    assert.deepEqual(
      [await b.client.next(), await b.client.next(), await b.client.next()],
      ['hello', Buffer.alloc(10), 'xy'],
    )
    assert.deepEqual(
      [await c.client.next(), await c.client.next(), await c.client.next(), await c.client.next()],
      ['hello', '{"a":1}', '[1,2]', 'ex'],
    )
    assert.deepEqual(wss.getStats(), {
      connections: 3,
      rooms: 2,
      connectionsTotal: 3,
      messagesIn: 2,
      messagesOut: 10,
      bytesIn: 7,
      bytesOut: 15 + 20 + 2 + 7 + 5 + 4,
      messagesDropped: 0,
      closedForBackpressure: 0,
      messagesRateLimited: 0,
      repliesDropped: 0,
      tokensExpired: 0,
      tokensRefreshed: 0,
      tokenRefreshesRefused: 0,
      connectionsRevoked: 0,
      handshakesRejected: {},
    })

    // A closed connection leaves the live counts but stays in connectionsTotal.
    c.client.close()
    await eventually(() => wss.getConnectionCount() === 2, 'server saw c close')
    const afterClose = wss.getStats()
    assert.deepEqual(afterClose, {
      connections: 2,
      rooms: 1,
      connectionsTotal: 3,
      messagesIn: 2,
      messagesOut: 10,
      bytesIn: 7,
      bytesOut: 53,
      messagesDropped: 0,
      closedForBackpressure: 0,
      messagesRateLimited: 0,
      repliesDropped: 0,
      tokensExpired: 0,
      tokensRefreshed: 0,
      tokenRefreshesRefused: 0,
      connectionsRevoked: 0,
      handshakesRejected: {},
    })

    await h.open()
    const later = wss.getStats()
    assert.equal(later.connections, 3)
    assert.equal(later.connectionsTotal, 4)
    // A snapshot is a copy: later traffic does not change it.
    assert.equal(afterClose.connections, 2)
    assert.equal(afterClose.connectionsTotal, 3)
  })

  test('bytes are counted as UTF-8 bytes, not characters', async () => {
    h = await harness()
    const wss = h.srv.wss
    const a = await h.open()
    const received = serverReceives(a.conn, 1)
    a.client.send('é€') // 2 + 3 bytes
    assert.deepEqual(await received, ['é€'])
    assert.equal(a.conn.send('ü'), true) // 2 bytes
    assert.equal(await a.client.next(), 'ü')
    const stats = wss.getStats()
    assert.deepEqual(
      [stats.messagesIn, stats.bytesIn, stats.messagesOut, stats.bytesOut],
      [1, 5, 1, 2],
    )
  })

  test('sends to a closed connection are not counted', async () => {
    h = await harness()
    const wss = h.srv.wss
    const a = await h.open()
    const b = await h.open()
    b.conn.close(1000)
    assert.equal(b.conn.send('dropped'), false)
    assert.equal(wss.broadcast('abcd'), 1)
    assert.equal(await a.client.next(), 'abcd')
    await within(b.client.closed, 2000, 'b closed')
    assert.equal(wss.getStats().messagesOut, 1)
    assert.equal(wss.getStats().bytesOut, 4)
  })

  test('counts rejected handshakes by HTTP status and never as connections', async () => {
    const logger = recordingLogger()
    h = await harness({
      logger,
      maxConnections: 2,
      allowedOrigins: [ORIGIN],
      handshakeTimeout: 50,
      verifyClient: async (request) => {
        const auth = request.headers['x-auth']
        if (auth === 'throw') throw new Error('verifier failed')
        if (auth === 'slow') await delay(300)
        return auth !== 'deny'
      },
    })
    const srv = h.srv
    const wsUrl = srv.url('/ws')

    assert.equal(await refusedStatus(srv.url('/nope'), { origin: ORIGIN }), 404)
    assert.equal(await refusedStatus(srv.url('/ws/deeper'), { origin: ORIGIN }), 404)
    assert.equal(await refusedStatus(wsUrl, { origin: 'http://evil.test' }), 403)
    assert.equal(await refusedStatus(wsUrl, { origin: ORIGIN, headers: { 'x-auth': 'deny' } }), 401)
    assert.equal(
      await refusedStatus(wsUrl, { origin: ORIGIN, headers: { 'x-auth': 'throw' } }),
      401,
    )
    assert.equal(await refusedStatus(wsUrl, { origin: ORIGIN, headers: { 'x-auth': 'slow' } }), 503)
    const badKey = upgradeRequest('/ws', { Origin: ORIGIN, 'Sec-WebSocket-Key': 'short' })
    assert.equal(statusOf(await rawRequest(srv.port, badKey)), 400)
    const badVersion = upgradeRequest('/ws', { Origin: ORIGIN, 'Sec-WebSocket-Version': '12' })
    assert.equal(statusOf(await rawRequest(srv.port, badVersion)), 426)

    await h.open()
    await h.open()
    assert.equal(await refusedStatus(wsUrl, { origin: ORIGIN }), 503)

    assert.deepEqual(srv.wss.getStats(), {
      ...ZERO,
      connections: 2,
      connectionsTotal: 2,
      handshakesRejected: { 400: 1, 401: 2, 403: 1, 404: 2, 426: 1, 503: 2 },
    })
    assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 1)
  })
})
