/** The connection object through real sockets: identity, send/json, close, events, error routing. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  RoomcastError,
  type RoomcastServer,
  type SendData,
  type WebSocketOptions,
  type WSConnection,
} from '../src/index.ts'
import { connectionQueue } from './helpers/capture.ts'
import { assertStillOpen, closedOf, connect } from './helpers/client.ts'
import { signal } from './helpers/deferred.ts'
import { recordingLogger, startServer, type TestServer } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { delay } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()

/** A server whose every connection on `/` is handed out, in accept order, by `next()`. */
async function serve(
  options: WebSocketOptions = {},
  setup?: (conn: WSConnection) => void,
): Promise<TestServer & { next(): Promise<WSConnection> }> {
  const accepted = connectionQueue('server-side connection')
  const srv = await startServer(options, (wss: RoomcastServer) => {
    wss.on('/', (conn) => {
      setup?.(conn)
      accepted.push(conn)
    })
  })
  cleanups.push(() => srv.close())
  return Object.assign(srv, { next: accepted.next })
}

async function open(srv: TestServer & { next(): Promise<WSConnection> }) {
  const client = await connect(srv.url('/'))
  cleanups.push(() => client.ws.terminate())
  const conn = await srv.next()
  return { client, conn }
}

/** Resolves with the arguments of the next call of the returned callback. */
function nextCall<Args extends unknown[]>(label: string) {
  const { resolve, promise } = signal<Args>(label)
  return { fn: (...args: Args) => resolve(args), called: promise }
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('connection identity and state', () => {
  test('id is a UUID v4, unique per connection; remoteAddress is the loopback address', async () => {
    const srv = await serve()
    const pairs = [await open(srv), await open(srv), await open(srv)]
    for (const { conn } of pairs) {
      assert.match(conn.id, UUID_V4)
      assert.equal(conn.remoteAddress, '127.0.0.1')
    }
    assert.equal(new Set(pairs.map(({ conn }) => conn.id)).size, 3)
  })

  test('remoteAddress is still readable once the socket is gone (close listeners log it)', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    const closed = nextCall<[string | undefined, number]>('close listener')
    conn.on('close', (code) => closed.fn(conn.remoteAddress, code))
    client.ws.terminate()
    const [address, code] = await closed.called
    assert.equal(code, 1006)
    assert.equal(address, '127.0.0.1')
    assert.equal(conn.remoteAddress, '127.0.0.1')
  })

  test('isOpen is true while open, false from close() on and after the close completes', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    assert.equal(conn.isOpen, true)
    conn.close()
    assert.equal(conn.isOpen, false)
    assert.deepEqual(await closedOf(client), { code: 1000, reason: '' })
    assert.equal(conn.isOpen, false)
  })

  test('metadata is a per-connection plain object the application fills', async () => {
    const srv = await serve()
    const a = await open(srv)
    const b = await open(srv)
    assert.deepEqual(a.conn.metadata, {})
    assert.equal(Object.getPrototypeOf(a.conn.metadata), Object.prototype)
    assert.notEqual(a.conn.metadata, b.conn.metadata)
    a.conn.metadata.user = 'ann'
    assert.equal(srv.wss.getConnection(a.conn.id)?.metadata.user, 'ann')
    assert.deepEqual(b.conn.metadata, {})
  })
})

describe('send() and json()', () => {
  test('a string arrives as a text frame', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    assert.equal(conn.send('héllo'), true)
    assert.equal(await client.next(), 'héllo')
  })

  test('Buffer, ArrayBuffer, Uint8Array, DataView and other TypedArrays arrive as exact bytes', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const u16 = new Uint16Array([0x0102, 0xfffe])
    const f32 = new Float32Array([1.5, -2])
    const cases: Array<[SendData, Buffer]> = [
      [Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3])],
      [new Uint8Array([4, 5, 6]).buffer, Buffer.from([4, 5, 6])],
      [new Uint8Array([7, 8]), Buffer.from([7, 8])],
      [backing.subarray(3, 7), Buffer.from([3, 4, 5, 6])],
      [new DataView(backing.buffer, 2, 3), Buffer.from([2, 3, 4])],
      [u16, Buffer.from(u16.buffer)],
      [f32.subarray(1), Buffer.from(f32.buffer, 4, 4)],
    ]
    for (const [data] of cases) assert.equal(conn.send(data), true)
    for (const [, expected] of cases) {
      const received = await client.next()
      assert.ok(Buffer.isBuffer(received), 'binary frame expected')
      assert.deepEqual(received, expected)
    }
  })

  test('an object, number, null or undefined throws ERR_INVALID_PAYLOAD pointing to json()', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    for (const value of [{ a: 1 }, 42, null, undefined]) {
      assert.throws(
        () => conn.send(value as unknown as SendData),
        (error: unknown) => {
          assert.ok(error instanceof TypeError)
          assert.equal((error as TypeError & { code?: string }).code, 'ERR_INVALID_PAYLOAD')
          assert.match(error.message, /json\(\)/)
          return true
        },
      )
    }
    await client.nothingWithin(50)
    assert.equal(conn.isOpen, true)
  })

  test('json() sends the exact JSON text; undefined and functions throw TypeError', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    assert.equal(conn.json({ type: 'hi', n: [1, 'é', null] }), true)
    assert.equal(await client.next(), '{"type":"hi","n":[1,"é",null]}')
    assert.equal(conn.json('text'), true)
    assert.equal(await client.next(), '"text"')
    assert.throws(() => conn.json(undefined), TypeError)
    assert.throws(() => conn.json(() => 1), TypeError)
    await client.nothingWithin(50)
  })

  test('send() and json() on a closed connection return false and do not throw', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    const closed = nextCall<[number, string]>('server close event')
    conn.on('close', closed.fn)
    client.close(1000)
    await closed.called
    assert.equal(conn.send('late'), false)
    assert.equal(conn.send(Buffer.from([1])), false)
    assert.equal(conn.json({ late: true }), false)
  })

  test('send() right after the server calls close() returns false', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    conn.close(4000, 'done')
    assert.equal(conn.send('late'), false)
    assert.equal(conn.json(1), false)
    assert.deepEqual(await closedOf(client), { code: 4000, reason: 'done' })
  })
})

describe('close() and terminate()', () => {
  test('the client sees the exact code and reason', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    conn.close(4321, 'see you')
    assert.deepEqual(await closedOf(client), { code: 4321, reason: 'see you' })
  })

  test('close() without arguments sends 1000', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    conn.close()
    assert.deepEqual(await closedOf(client), { code: 1000, reason: '' })
  })

  test('a reason over 123 bytes is truncated to exactly 123 bytes', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    conn.close(4000, 'a'.repeat(200))
    const { code, reason } = await closedOf(client)
    assert.equal(code, 4000)
    assert.equal(reason, 'a'.repeat(123))
    assert.equal(Buffer.byteLength(reason), 123)
  })

  test('truncation does not split a multi-byte character (100 × é → 61 × é, 122 bytes)', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    conn.close(4000, 'é'.repeat(100))
    const { code, reason } = await closedOf(client)
    assert.equal(code, 4000)
    assert.equal(reason, 'é'.repeat(61))
    assert.equal(Buffer.byteLength(reason), 122)
  })

  test('1005, 1006, 1015, 999 and 5000 throw ERR_INVALID_CLOSE_CODE and send nothing', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    for (const code of [1005, 1006, 1015, 999, 5000]) {
      assert.throws(
        () => conn.close(code, 'nope'),
        (error: unknown) => {
          assert.ok(error instanceof RoomcastError)
          assert.equal(error.code, 'ERR_INVALID_CLOSE_CODE')
          return true
        },
        `close(${code})`,
      )
    }
    await assertStillOpen(client)
    assert.equal(conn.isOpen, true)
    assert.equal(conn.send('still here'), true)
    assert.equal(await client.next(), 'still here')
  })

  test('application codes 4001 and 3000 are sent as is', async () => {
    const srv = await serve()
    const a = await open(srv)
    const b = await open(srv)
    a.conn.close(4001, 'Unauthorized')
    b.conn.close(3000)
    assert.deepEqual(await closedOf(a.client), { code: 4001, reason: 'Unauthorized' })
    assert.deepEqual(await closedOf(b.client), { code: 3000, reason: '' })
  })

  test('terminate() drops the socket: the client sees 1006', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    conn.terminate()
    assert.deepEqual(await closedOf(client), { code: 1006, reason: '' })
  })
})

describe('connection events', () => {
  test('message listeners get a string for text frames and a Buffer for binary frames', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    const received: Array<string | Buffer> = []
    const done = nextCall<[]>('two messages')
    conn.on('message', (data) => {
      received.push(data)
      if (received.length === 2) done.fn()
    })
    client.send('text é')
    client.send(Buffer.from([0, 255, 7]))
    await done.called
    assert.equal(received[0], 'text é')
    assert.ok(Buffer.isBuffer(received[1]))
    assert.deepEqual(received[1], Buffer.from([0, 255, 7]))
  })

  test('off() removes a listener, once() fires once, onMessage() is an alias of on("message")', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    const calls = { removed: 0, once: 0, alias: 0 }
    const removed = () => {
      calls.removed++
    }
    conn.on('message', removed)
    conn.off('message', removed)
    conn.once('message', () => {
      calls.once++
    })
    conn.onMessage((data) => {
      calls.alias++
      conn.send(`ack:${data}`)
    })
    client.send('1')
    client.send('2')
    client.send('3')
    assert.equal(await client.next(), 'ack:1')
    assert.equal(await client.next(), 'ack:2')
    assert.equal(await client.next(), 'ack:3')
    assert.deepEqual(calls, { removed: 0, once: 1, alias: 3 })
  })

  test('close listeners (on and onClose) and onClose option get the client code and reason', async () => {
    const onClose = nextCall<[WSConnection, number, string]>('onClose option')
    const srv = await serve({ onClose: onClose.fn })
    const { client, conn } = await open(srv)
    const viaOn = nextCall<[number, string]>('on("close")')
    const viaAlias = nextCall<[number, string]>('onClose()')
    conn.on('close', viaOn.fn)
    conn.onClose(viaAlias.fn)
    client.close(4000, 'bye')
    assert.deepEqual(await viaOn.called, [4000, 'bye'])
    assert.deepEqual(await viaAlias.called, [4000, 'bye'])
    const [closedConn, code, reason] = await onClose.called
    assert.equal(closedConn, conn)
    assert.equal(code, 4000)
    assert.equal(reason, 'bye')
  })

  test('ping listeners get the payload of the client ping', async () => {
    const srv = await serve()
    const { client, conn } = await open(srv)
    const ping = nextCall<[Buffer]>('ping event')
    conn.on('ping', ping.fn)
    client.ws.ping(Buffer.from('are you there'))
    const [data] = await ping.called
    assert.deepEqual(data, Buffer.from('are you there'))
  })

  test('pong listeners fire when the client answers a heartbeat ping; lastPong advances', async () => {
    const srv = await serve({ heartbeatInterval: 30, clientTimeout: 1000 })
    const { conn } = await open(srv)
    const openedAt = conn.lastPong
    const pong = nextCall<[Buffer, boolean, number]>('pong event')
    conn.on('pong', (data) => pong.fn(data, conn.isAlive, conn.lastPong))
    const [data, isAlive, lastPong] = await pong.called
    assert.equal(data.length, 0)
    assert.equal(isAlive, true)
    assert.ok(lastPong > openedAt, `lastPong ${lastPong} should be after ${openedAt}`)
    assert.equal(conn.lastPong, lastPong)
  })
})

describe('errors thrown by listeners and hooks', () => {
  /** A server whose message listener runs `fail` on "boom" and answers "ok:<msg>" otherwise. */
  async function failingListener(options: WebSocketOptions, fail: () => unknown) {
    return serve(options, (conn) => {
      conn.on('message', (data) => {
        if (data === 'boom') return fail()
        conn.send(`ok:${data}`)
      })
    })
  }

  for (const [kind, makeFail] of [
    [
      'throws',
      (error: Error) => () => {
        throw error
      },
    ],
    [
      'rejects',
      (error: Error) => async () => {
        await delay(5)
        throw error
      },
    ],
  ] as const) {
    test(`a message listener that ${kind}: connection stays open, onError and error listeners get the error`, async () => {
      const thrown = new Error(`listener ${kind}`)
      const onError = nextCall<[WSConnection, Error]>('onError')
      const logger = recordingLogger()
      const srv = await failingListener({ onError: onError.fn, logger }, makeFail(thrown))
      const { client, conn } = await open(srv)
      const listener = nextCall<[Error]>('error listener')
      conn.on('error', listener.fn)
      client.send('boom')
      const [errorConn, error] = await onError.called
      assert.equal(errorConn, conn)
      assert.equal(error, thrown)
      assert.deepEqual(await listener.called, [thrown])
      client.send('after')
      assert.equal(await client.next(), 'ok:after')
      assert.equal(conn.isOpen, true)
      assert.deepEqual(logger.entries, [])
    })
  }

  test('a non-Error thrown value reaches onError wrapped in an Error', async () => {
    const onError = nextCall<[WSConnection, Error]>('onError')
    const srv = await failingListener({ onError: onError.fn }, () => {
      throw 'plain string'
    })
    const { client } = await open(srv)
    client.send('boom')
    const [, error] = await onError.called
    assert.ok(error instanceof Error)
    assert.equal(error.message, 'plain string')
    assert.equal(error.cause, 'plain string')
  })

  test('without onError or error listeners, the logger records the error', async () => {
    const logger = recordingLogger()
    const thrown = new Error('nobody listens')
    const srv = await failingListener({ logger }, () => {
      throw thrown
    })
    const { client, conn } = await open(srv)
    client.send('boom')
    client.send('after')
    assert.equal(await client.next(), 'ok:after')
    assert.equal(logger.entries.length, 1)
    const [entry] = logger.entries
    assert.equal(entry?.level, 'error')
    assert.ok(entry?.message.includes(conn.id), entry?.message)
    assert.deepEqual(entry?.details, [thrown])
  })

  test('an error thrown inside onError does not crash and is logged', async () => {
    const logger = recordingLogger()
    const fromHandler = new Error('onError itself failed')
    const seen: Error[] = []
    const srv = await failingListener(
      {
        logger,
        onError: (_conn, error) => {
          seen.push(error)
          throw fromHandler
        },
      },
      () => {
        throw new Error('listener failed')
      },
    )
    const { client, conn } = await open(srv)
    client.send('boom')
    client.send('after')
    assert.equal(await client.next(), 'ok:after')
    assert.equal(conn.isOpen, true)
    assert.deepEqual(
      seen.map((e) => e.message),
      ['listener failed'],
    )
    assert.equal(logger.entries.length, 1)
    assert.equal(logger.entries[0]?.level, 'error')
    assert.deepEqual(logger.entries[0]?.details, [fromHandler])
  })
})

describe('connection lifecycle hooks', () => {
  test('onConnection(conn) runs before middleware and the route handler', async () => {
    const order: string[] = []
    let hookConn: WSConnection | undefined
    const srv = await startServer(
      {
        onConnection: (conn) => {
          hookConn = conn
          order.push('onConnection')
        },
      },
      (wss) => {
        wss.use((_conn, _req, next) => {
          order.push('middleware')
          return next()
        })
        wss.on('/', (conn) => {
          order.push('handler')
          conn.send(conn === hookConn ? 'same connection' : 'different connection')
        })
      },
    )
    cleanups.push(() => srv.close())
    const client = await connect(srv.url('/'))
    cleanups.push(() => client.ws.terminate())
    assert.equal(await client.next(), 'same connection')
    assert.deepEqual(order, ['onConnection', 'middleware', 'handler'])
  })

  test('onClose(conn, code, reason) gets the exact values of a server-side close', async () => {
    const onClose = nextCall<[WSConnection, number, string]>('onClose')
    const srv = await serve({ onClose: onClose.fn })
    const { client, conn } = await open(srv)
    conn.close(4100, 'kicked')
    assert.deepEqual(await closedOf(client), { code: 4100, reason: 'kicked' })
    const [closedConn, code, reason] = await onClose.called
    assert.equal(closedConn, conn)
    assert.equal(code, 4100)
    assert.equal(reason, 'kicked')
  })
})
