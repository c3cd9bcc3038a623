import assert from 'node:assert/strict'
import { IncomingMessage } from 'node:http'
import { connect as netConnect } from 'node:net'
import { describe, test } from 'node:test'
import WebSocket from 'ws'
import { connect, handshakeOutcome, type TestClient } from './helpers/client.ts'
import { deferred } from './helpers/deferred.ts'
import { rawRequest, upgradeRequest } from './helpers/raw-socket.ts'
import { recordingLogger, startServer } from './helpers/server.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

describe('401: verifyClient refuses', () => {
  test('false, resolved false, a throw and a rejection each give 401 and no connection', async () => {
    const logger = recordingLogger()
    const thrown = new Error('sync boom')
    const rejected = new Error('async boom')
    let opened = 0
    const srv = await startServer({
      logger,
      onConnection: () => {
        opened++
      },
      verifyClient: (req) => {
        switch (req.headers['x-mode']) {
          case 'false':
            return false
          case 'resolve-false':
            return Promise.resolve(false)
          case 'throw':
            throw thrown
          case 'reject':
            return Promise.reject(rejected)
          default:
            return true
        }
      },
    })
    try {
      for (const mode of ['false', 'resolve-false', 'throw', 'reject']) {
        assert.equal(
          await handshakeOutcome(srv.url('/'), { headers: { 'x-mode': mode } }),
          401,
          mode,
        )
      }
      assert.equal(opened, 0)
      assert.equal(srv.wss.getConnectionCount(), 0)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 401: 4 })
      const warnings = logger.entries.filter((e) => e.level === 'warn')
      assert.deepEqual(
        warnings.map((e) => [e.message, e.details[0]]),
        [
          ['roomcast: verifyClient threw; handshake rejected with 401', thrown],
          ['roomcast: verifyClient threw; handshake rejected with 401', rejected],
        ],
      )
      assert.equal(await handshakeOutcome(srv.url('/'), { headers: { 'x-mode': 'ok' } }), 101)
      assert.equal(opened, 1)
    } finally {
      await srv.close()
    }
  })

  test('the 401 is a complete HTTP response and the server closes the socket', async () => {
    const srv = await startServer({ verifyClient: async () => false })
    try {
      const text = await rawRequest(srv.port, upgradeRequest('/'), 1000)
      assert.equal(
        text,
        'HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n' +
          'Content-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n\r\nUnauthorized',
      )
    } finally {
      await srv.close()
    }
  })

  test('verifyClient receives the IncomingMessage with its headers and url', async () => {
    const seen: IncomingMessage[] = []
    const srv = await startServer({
      verifyClient: (req) => {
        seen.push(req)
        return req.headers['x-token'] === 'good'
      },
    })
    try {
      const url = srv.url('/?room=a')
      assert.equal(await handshakeOutcome(url, { headers: { 'X-Token': 'good' } }), 101)
      assert.equal(await handshakeOutcome(url, { headers: { 'X-Token': 'bad' } }), 401)
      assert.equal(seen.length, 2)
      const [first] = seen
      assert.ok(first instanceof IncomingMessage)
      assert.equal(first.method, 'GET')
      assert.equal(first.url, '/?room=a')
      assert.equal(first.headers['x-token'], 'good')
      assert.equal(first.headers.upgrade, 'websocket')
      assert.equal(seen[1]?.headers['x-token'], 'bad')
    } finally {
      await srv.close()
    }
  })
})

describe('503: handshakeTimeout', () => {
  test('a verifyClient slower than handshakeTimeout gets 503; a late true does not upgrade', async () => {
    let opened = 0
    const lateAnswers: Array<Promise<void>> = []
    const srv = await startServer({
      handshakeTimeout: 100,
      maxConnections: 1,
      onConnection: () => {
        opened++
      },
      verifyClient: (req) => {
        if (req.headers['x-slow'] === undefined) return true
        const answered = deferred<boolean>()
        lateAnswers.push(delay(250).then(() => answered.resolve(true)))
        return answered.promise
      },
    })
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now()
        assert.equal(await handshakeOutcome(srv.url('/'), { headers: { 'x-slow': '1' } }), 503)
        const elapsed = Date.now() - started
        assert.ok(elapsed >= 90 && elapsed < 1000, `refused after ${elapsed} ms`)
      }
      await within(Promise.all(lateAnswers), 1000, 'late verifyClient answers')
      await delay(20)
      assert.equal(opened, 0)
      assert.equal(srv.wss.getConnectionCount(), 0)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 503: 3 })
      // The timed-out handshakes released their maxConnections slot.
      const client = await connect(srv.url('/'))
      assert.equal(opened, 1)
      assert.equal(srv.wss.getConnectionCount(), 1)
      client.close()
      await within(client.closed, 2000, 'client close')
    } finally {
      await srv.close()
    }
  })
})

describe('503: maxConnections', () => {
  test('with maxConnections: 2 the third handshake gets 503; a freed slot is reusable', async () => {
    let closedOnServer = 0
    const srv = await startServer({
      maxConnections: 2,
      onClose: () => {
        closedOnServer++
      },
    })
    const clients: TestClient[] = []
    try {
      clients.push(await connect(srv.url('/')), await connect(srv.url('/')))
      assert.equal(await handshakeOutcome(srv.url('/')), 503)
      assert.equal(srv.wss.getConnectionCount(), 2)
      clients[0]?.close()
      await eventually(() => closedOnServer === 1, 'server sees the close')
      clients.push(await connect(srv.url('/')))
      assert.equal(srv.wss.getConnectionCount(), 2)
      assert.equal(await handshakeOutcome(srv.url('/')), 503)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 503: 2 })
    } finally {
      for (const client of clients) client.ws.terminate()
      await srv.close()
    }
  })

  test('a burst of 20 against maxConnections: 5 with async verifyClient: 5 accepted, 15 refused', async () => {
    let open = 0
    let peak = 0
    const srv = await startServer({
      maxConnections: 5,
      verifyClient: async () => {
        await delay(30)
        return true
      },
      onConnection: () => {
        open++
        peak = Math.max(peak, open)
      },
      onClose: () => {
        open--
      },
    })
    const attempts = Array.from({ length: 20 }, () => connect(srv.url('/')))
    const results = await within(Promise.allSettled(attempts), 5000, 'burst')
    try {
      const accepted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      const statuses = results.flatMap((r) =>
        r.status === 'rejected' ? [(r.reason as { status?: number }).status] : [],
      )
      assert.equal(accepted.length, 5)
      assert.deepEqual(statuses, Array(15).fill(503))
      assert.equal(srv.wss.getConnectionCount(), 5)
      assert.equal(peak, 5)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 503: 15 })
    } finally {
      for (const r of results) if (r.status === 'fulfilled') r.value.ws.terminate()
      await srv.close()
    }
  })
})

describe('503: server closing', () => {
  test('a handshake while close() waits for a connected client gets 503', async () => {
    const srv = await startServer({ closeTimeout: 2000 })
    const client = await connect(srv.url('/'))
    try {
      // The client does not read the close frame yet, so close() stays in progress.
      client.ws.pause()
      const closing = srv.wss.close()
      assert.equal(await handshakeOutcome(srv.url('/')), 503)
      assert.equal(srv.wss.getConnectionCount(), 1)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 503: 1 })
      client.ws.resume()
      assert.deepEqual(await within(client.closed, 2000, 'client closed'), {
        code: 1001,
        reason: 'Server shutting down',
      })
      await within(closing, 2000, 'wss.close()')
      assert.equal(srv.wss.getConnectionCount(), 0)
    } finally {
      client.ws.terminate()
      await srv.close()
    }
  })

  test('a handshake still in verifyClient when close() starts gets 503', async () => {
    const called = deferred()
    const gate = deferred<boolean>()
    let opened = 0
    const srv = await startServer({
      verifyClient: () => {
        called.resolve()
        return gate.promise
      },
      onConnection: () => {
        opened++
      },
    })
    try {
      const pending = handshakeOutcome(srv.url('/'))
      await within(called.promise, 2000, 'verifyClient called')
      const closing = srv.wss.close()
      gate.resolve(true)
      assert.equal(await pending, 503)
      await within(closing, 2000, 'wss.close()')
      assert.equal(opened, 0)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 503: 1 })
    } finally {
      await srv.close()
    }
  })
})

describe('a client that leaves during verifyClient is not upgraded', () => {
  const setup = async () => {
    const called: Array<ReturnType<typeof deferred<IncomingMessage>>> = []
    const gates: Array<ReturnType<typeof deferred<boolean>>> = []
    const opened: string[] = []
    const srv = await startServer({
      path: ['/slow', '/fast'],
      maxConnections: 1,
      onConnection: (conn) => void opened.push(conn.url),
      verifyClient: (req) => {
        if (req.url === '/fast') return true
        const gate = deferred<boolean>()
        gates.push(gate)
        called.shift()?.resolve(req)
        return gate.promise
      },
    })
    const nextCall = () => {
      const call = deferred<IncomingMessage>()
      called.push(call)
      return within(call.promise, 2000, 'verifyClient called')
    }
    return { srv, opened, gates, nextCall }
  }

  /** The slot is free and nothing was opened for the client that left. */
  const assertNotUpgraded = async (ctx: Awaited<ReturnType<typeof setup>>) => {
    const { srv, opened } = ctx
    await delay(20)
    assert.equal(srv.wss.getConnectionCount(), 0)
    assert.deepEqual(opened, [])
    assert.equal(srv.wss.getStats().connectionsTotal, 0)
    const client = await connect(srv.url('/fast'))
    assert.deepEqual(opened, ['/fast'])
    assert.equal(srv.wss.getConnectionCount(), 1)
    client.close()
    await within(client.closed, 2000, 'client close')
  }

  test('a ws client terminated before verifyClient resolves true', async () => {
    const ctx = await setup()
    try {
      const call = ctx.nextCall()
      const ws = new WebSocket(ctx.srv.url('/slow'))
      ws.on('error', () => {})
      const request = await call
      const ended = new Promise((resolve) => request.socket.once('end', resolve))
      ws.terminate()
      // The server socket sees the FIN; it stays writable (http servers allow half-open).
      await within(ended, 2000, 'server socket end')
      ctx.gates[0]?.resolve(true)
      await assertNotUpgraded(ctx)
    } finally {
      await ctx.srv.close()
    }
  })

  test('a raw client that half-closes (FIN) before verifyClient resolves true', async () => {
    const ctx = await setup()
    const socket = netConnect(ctx.srv.port, '127.0.0.1')
    socket.on('error', () => {})
    try {
      const call = ctx.nextCall()
      socket.write(upgradeRequest('/slow'))
      const request = await call
      const ended = new Promise((resolve) => request.socket.once('end', resolve))
      socket.end()
      await within(ended, 2000, 'server socket end')
      ctx.gates[0]?.resolve(true)
      await assertNotUpgraded(ctx)
    } finally {
      socket.destroy()
      await ctx.srv.close()
    }
  })
})
