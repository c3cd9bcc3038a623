/** Shutdown with handshakes pending, a stalled event loop, a logger that throws. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { connect, refusedStatus } from './helpers/client.ts'
import { startServer } from './helpers/server.ts'
import { delay, within } from './helpers/timeout.ts'

function busyWait(ms: number): void {
  const end = Date.now() + ms
  while (Date.now() < end) {
    // Blocks the event loop on purpose.
  }
}

describe('close() with handshakes waiting on verifyClient', () => {
  test('they get 503 at once and close() does not wait for handshakeTimeout', async () => {
    let called: () => void = () => {}
    const verifying = new Promise<void>((resolve) => {
      called = resolve
    })
    const srv = await startServer({
      handshakeTimeout: 5_000,
      verifyClient: () => {
        called()
        return new Promise<boolean>(() => {})
      },
    })
    const status = refusedStatus(srv.url('/'))
    await within(verifying, 2000, 'verifyClient called')
    const started = Date.now()
    await srv.close()
    assert.equal(await within(status, 1000, 'refusal'), 503)
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`)
    assert.deepEqual(srv.wss.getStats().handshakesRejected, { 503: 1 })
  })
})

describe('heartbeat and a blocked event loop', () => {
  test('a client that answers pings survives a server stall longer than clientTimeout', async () => {
    const closes: number[] = []
    const srv = await startServer({
      heartbeatInterval: 40,
      clientTimeout: 100,
      onClose: (_conn, code) => closes.push(code),
    })
    try {
      const client = await connect(srv.url('/'))
      const firstPing = new Promise<void>((resolve) => client.ws.once('ping', () => resolve()))
      await within(firstPing, 1000, 'first ping')
      await delay(10)
      busyWait(180)
      await delay(200)
      assert.deepEqual(closes, [])
      assert.equal(client.ws.readyState, client.ws.OPEN)
      client.close()
    } finally {
      await srv.close()
    }
  })
})

describe('a logger that throws', () => {
  test('an unhandled listener error with a throwing logger crashes nothing', async () => {
    const srv = await startServer(
      {
        logger: {
          error: () => {
            throw new Error('logger down')
          },
          warn: () => {
            throw new Error('logger down')
          },
        },
      },
      (wss) => {
        wss.on('/', (conn) => {
          conn.on('message', (m) => {
            if (m === 'boom') throw new Error('listener failed')
            conn.send(`echo:${m}`)
          })
        })
      },
    )
    try {
      const client = await connect(srv.url('/'))
      client.send('boom')
      client.send('after')
      assert.equal(await client.next(), 'echo:after')
      client.close()
    } finally {
      await srv.close()
    }
  })
})
