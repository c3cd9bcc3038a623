/** Middleware through real sockets: order, stopping the chain, failures → 1011, no message lost. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  RoomcastError,
  type RoomcastServer,
  type WebSocketOptions,
  type WSConnection,
} from '../src/index.ts'
import { assertStillOpen, closedOf, connect, type TestClient } from './helpers/client.ts'
import { signal } from './helpers/deferred.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { delay } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()

async function serve(
  options: WebSocketOptions,
  setup: (wss: RoomcastServer) => void,
): Promise<TestServer> {
  const srv = await startServer(options, setup)
  cleanups.push(() => srv.close())
  return srv
}

async function client(srv: TestServer, path = '/'): Promise<TestClient> {
  const c = await connect(srv.url(path))
  cleanups.push(() => c.ws.terminate())
  return c
}

describe('middleware order', () => {
  test('middleware run in registration order, then the route handler', async () => {
    const order: string[] = []
    const srv = await serve({}, (wss) => {
      for (const name of ['first', 'second', 'third']) {
        wss.use(async (_conn, _req, next) => {
          order.push(name)
          await delay(5)
          await next()
          order.push(`${name} after next`)
        })
      }
      wss.on('/', (conn) => {
        order.push('handler')
        conn.send('ready')
      })
    })
    const c = await client(srv)
    assert.equal(await c.next(), 'ready')
    await delay(20)
    assert.deepEqual(order, [
      'first',
      'second',
      'third',
      'handler',
      'third after next',
      'second after next',
      'first after next',
    ])
  })

  test('sync next() without await (seed style) runs the rest of the chain', async () => {
    const order: string[] = []
    const srv = await serve({}, (wss) => {
      wss.use((conn, _req, next) => {
        order.push('sync')
        conn.metadata.user = 'ann'
        next()
      })
      wss.use(async (_conn, _req, next) => {
        order.push('async')
        await delay(5)
        await next()
      })
      wss.on('/', async (conn) => {
        await delay(5)
        order.push('handler')
        conn.onMessage((data) => conn.send(`${conn.metadata.user}:${data}`))
      })
    })
    const c = await client(srv)
    c.send('hi')
    assert.equal(await c.next(), 'ann:hi')
    assert.deepEqual(order, ['sync', 'async', 'handler'])
  })

  test('request and the same connection object reach every middleware and the handler', async () => {
    const srv = await serve({}, (wss) => {
      wss.use((conn, req, next) => {
        conn.metadata.seen = [req.url]
        return next()
      })
      wss.on('/room/:id', (conn, req) => {
        conn.send(JSON.stringify({ seen: conn.metadata.seen, url: req.url, id: conn.params.id }))
      })
    })
    const c = await client(srv, '/room/7?x=1')
    assert.equal(await c.next(), '{"seen":["/room/7?x=1"],"url":"/room/7?x=1","id":"7"}')
  })
})

describe('stopping the chain', () => {
  test('a middleware that closes with 4001 stops the chain; the client sees 4001', async () => {
    let handlerRuns = 0
    let laterMiddlewareRuns = 0
    const srv = await serve({}, (wss) => {
      wss.use((conn, _req, next) => {
        conn.close(4001, 'Unauthorized')
        // Calling next() after closing must not resume the chain either.
        return next()
      })
      wss.use((_conn, _req, next) => {
        laterMiddlewareRuns++
        return next()
      })
      wss.on('/', () => {
        handlerRuns++
      })
    })
    const c = await client(srv)
    assert.deepEqual(await closedOf(c), { code: 4001, reason: 'Unauthorized' })
    await delay(20)
    assert.equal(handlerRuns, 0)
    assert.equal(laterMiddlewareRuns, 0)
  })

  test('a middleware that never calls next stops the chain and leaves the connection open', async () => {
    let handlerRuns = 0
    const held = signal<WSConnection>('middleware holding the connection')
    const srv = await serve({}, (wss) => {
      wss.use((conn) => {
        held.resolve(conn)
      })
      wss.on('/', () => {
        handlerRuns++
      })
    })
    const c = await client(srv)
    const conn = await held.promise
    c.send('anyone?')
    await assertStillOpen(c, 100)
    assert.equal(handlerRuns, 0)
    assert.equal(conn.isOpen, true)
    assert.equal(srv.wss.getConnectionCount(), 1)
    assert.equal(conn.send('still open'), true)
    assert.equal(await c.next(), 'still open')
  })
})

describe('failures close with 1011', () => {
  /** Starts a server with `setup`, connects, and returns what the client and onError saw. */
  async function failure(setup: (wss: RoomcastServer, fail: Error) => void, options = {}) {
    const thrown = new Error('chain failure')
    const errors: Array<[WSConnection, Error]> = []
    const srv = await serve(
      { ...options, onError: (conn, error) => void errors.push([conn, error]) },
      (wss) => setup(wss, thrown),
    )
    const c = await client(srv)
    const closed = await closedOf(c)
    return { closed, errors, thrown }
  }

  test('a middleware that throws: onError gets the error, the client sees 1011', async () => {
    let handlerRuns = 0
    const { closed, errors, thrown } = await failure((wss, fail) => {
      wss.use(() => {
        throw fail
      })
      wss.on('/', () => {
        handlerRuns++
      })
    })
    assert.equal(closed.code, 1011)
    assert.equal(errors.length, 1)
    assert.equal(errors[0]?.[1], thrown)
    assert.equal(handlerRuns, 0)
  })

  test('an async middleware that rejects: the client sees 1011', async () => {
    let handlerRuns = 0
    const { closed, errors, thrown } = await failure((wss, fail) => {
      wss.use(async () => {
        await delay(10)
        throw fail
      })
      wss.on('/', () => {
        handlerRuns++
      })
    })
    assert.equal(closed.code, 1011)
    assert.deepEqual(
      errors.map(([, e]) => e),
      [thrown],
    )
    assert.equal(handlerRuns, 0)
  })

  test('an async route handler that rejects: the client sees 1011', async () => {
    const { closed, errors, thrown } = await failure((wss, fail) => {
      wss.use((_conn, _req, next) => next())
      wss.on('/', async () => {
        await delay(10)
        throw fail
      })
    })
    assert.equal(closed.code, 1011)
    assert.deepEqual(
      errors.map(([, e]) => e),
      [thrown],
    )
  })

  test('onConnection that throws: the client sees 1011, middleware and handler never run', async () => {
    let runs = 0
    const thrown = new Error('onConnection failed')
    const { closed, errors } = await failure(
      (wss) => {
        wss.use((_conn, _req, next) => {
          runs++
          return next()
        })
        wss.on('/', () => {
          runs++
        })
      },
      {
        onConnection: () => {
          throw thrown
        },
      },
    )
    assert.equal(closed.code, 1011)
    assert.deepEqual(
      errors.map(([, e]) => e),
      [thrown],
    )
    assert.equal(runs, 0)
  })
})

describe('no message is lost while middleware runs', () => {
  /** Middleware that waits ~100 ms, and a handler that registers listeners after its own await. */
  function slowStart(
    wss: RoomcastServer,
    register: (conn: WSConnection) => void,
    handlerRuns: { count: number },
  ) {
    wss.use(async (_conn, _req, next) => {
      await delay(100)
      await next()
    })
    wss.on('/', async (conn) => {
      handlerRuns.count++
      await delay(20)
      register(conn)
    })
  }

  test('5 messages sent right after open all reach the handler listener, in order', async () => {
    const received: Array<string | Buffer> = []
    const all = signal('five messages')
    const runs = { count: 0 }
    const srv = await serve({}, (wss) =>
      slowStart(
        wss,
        (conn) =>
          conn.on('message', (data) => {
            received.push(data)
            if (received.length === 5) all.resolve()
          }),
        runs,
      ),
    )
    const c = await client(srv)
    for (const m of ['m1', 'm2', Buffer.from([3, 3]), 'm4', 'm5']) c.send(m)
    await all.promise
    assert.deepEqual(received, ['m1', 'm2', Buffer.from([3, 3]), 'm4', 'm5'])
    assert.equal(runs.count, 1)
  })

  test('a client close during the handler await reaches the handler close listener', async () => {
    const closed = signal<[number, string]>('handler close listener')
    const runs = { count: 0 }
    const srv = await serve({}, (wss) => {
      wss.on('/', async (conn) => {
        runs.count++
        await delay(100)
        conn.on('close', (code, reason) => closed.resolve([code, reason]))
      })
    })
    const c = await client(srv)
    c.close(4005, 'early bye')
    assert.deepEqual(await closed.promise, [4005, 'early bye'])
    assert.equal(runs.count, 1)
  })

  test('messages and a close sent during the middleware wait reach the handler listeners', async () => {
    const events: unknown[] = []
    const runs = { count: 0 }
    const serverClosed = signal<[number, string]>('onClose')
    const srv = await serve(
      { onClose: (_conn, code, reason) => serverClosed.resolve([code, reason]) },
      (wss) =>
        slowStart(
          wss,
          (conn) => {
            conn.on('message', (data) => events.push(data))
            conn.on('close', (code, reason) => events.push([code, reason]))
          },
          runs,
        ),
    )
    const c = await client(srv)
    c.send('a')
    c.send('b')
    c.close(4005, 'early bye')
    // The close reaches the server while the middleware still waits.
    assert.deepEqual(await serverClosed.promise, [4005, 'early bye'])
    await delay(200)
    assert.equal(runs.count, 1, 'the route handler runs so its listeners get the queued events')
    assert.deepEqual(events, ['a', 'b', [4005, 'early bye']])
  })
})

describe('the inbound queue is bounded (maxQueuedBytes)', () => {
  function holdingServer(errors: Error[], received: Array<string | Buffer>) {
    return serve(
      { maxQueuedBytes: 1000, onError: (_conn, error) => void errors.push(error) },
      (wss) => {
        wss.use(async (_conn, _req, next) => {
          await delay(100)
          await next()
        })
        wss.on('/', (conn) => {
          conn.on('message', (data) => {
            received.push(data)
            if (received.length === 10) conn.send(`got ${received.length}`)
          })
        })
      },
    )
  }

  test('2000 bytes while middleware waits: closed with 1008 and ERR_QUEUE_OVERFLOW', async () => {
    const errors: Error[] = []
    const received: Array<string | Buffer> = []
    const srv = await holdingServer(errors, received)
    const c = await client(srv)
    c.send('x'.repeat(1000))
    c.send('y'.repeat(1000))
    const closed = await closedOf(c)
    assert.equal(closed.code, 1008)
    assert.equal(errors.length, 1)
    const [error] = errors
    assert.ok(error instanceof RoomcastError)
    assert.equal(error.code, 'ERR_QUEUE_OVERFLOW')
    await delay(150)
    assert.deepEqual(received, [])
  })

  test('exactly 1000 bytes while middleware waits: nothing is closed, all delivered', async () => {
    const errors: Error[] = []
    const received: Array<string | Buffer> = []
    const srv = await holdingServer(errors, received)
    const c = await client(srv)
    const sent = Array.from({ length: 10 }, (_, i) => String(i).repeat(100))
    for (const m of sent) c.send(m)
    assert.equal(await c.next(), 'got 10')
    assert.deepEqual(received, sent)
    assert.deepEqual(errors, [])
    await assertStillOpen(c)
  })
})
