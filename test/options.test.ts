/** Options: the documented defaults, in behaviour where cheap, and every invalid value refused up front. */
import assert from 'node:assert/strict'
import { after, describe, mock, test } from 'node:test'
import WebSocket from 'ws'
import {
  createWebSocket,
  MaxRoomsExceededError,
  RoomcastError,
  RoomcastServer,
  type WebSocketOptions,
  type WSConnection,
} from '../src/index.ts'
import { defaultOptions } from '../src/options/options.ts'
import { connectInto, refusedStatus, type TestClient } from './helpers/client.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { closeAll } from './helpers/teardown.ts'
import { eventually, within } from './helpers/timeout.ts'

const servers: TestServer[] = []
const clients: TestClient[] = []

after(() => closeAll({ clients, servers }))

const open = connectInto(clients)

describe('defaults', () => {
  test('defaultOptions matches the documented table', () => {
    assert.deepEqual(defaultOptions, {
      path: ['/'],
      maxPayload: 1_048_576,
      maxFragments: 16_384,
      heartbeatInterval: 30_000,
      clientTimeout: 60_000,
      maxConnections: 0,
      maxRoomsPerConnection: 100,
      handshakeTimeout: 10_000,
      maxQueuedBytes: 1_048_576,
      closeTimeout: 5_000,
      maxBackpressure: 1_048_576,
      backpressurePolicy: 'drop',
      inactivityTimeout: 0,
      maxLifetime: 0,
      maxJsonDepth: 64,
      maxJsonKeys: 10_000,
    })
  })

  test('path ["/"]: "/" is accepted, any other unregistered path gets 404', async () => {
    const server = await startServer()
    servers.push(server)
    const root = await open(server.url('/'))
    assert.equal(root.ws.readyState, WebSocket.OPEN)
    assert.equal(await refusedStatus(server.url('/other')), 404)
  })

  test('maxRoomsPerConnection 100: the 100th join works, the 101st throws ERR_MAX_ROOMS', async () => {
    const outcome: { joined?: number; error?: unknown } = {}
    const server = await startServer({}, (wss) =>
      wss.on('/rooms', (conn) => {
        try {
          for (let i = 0; i < 101; i++) {
            conn.join(`room-${i}`)
            outcome.joined = conn.getRooms().length
          }
        } catch (error) {
          outcome.error = error
        }
      }),
    )
    servers.push(server)
    await open(server.url('/rooms'))
    await eventually(() => outcome.error !== undefined, 'join loop', 1000)
    assert.equal(outcome.joined, 100)
    assert.ok(outcome.error instanceof MaxRoomsExceededError)
    assert.equal(outcome.error.code, 'ERR_MAX_ROOMS')
    assert.equal(outcome.error.limit, 100)
    assert.equal(outcome.error.room, 'room-100')
    assert.equal(server.wss.getRooms().length, 100)
  })

  test('maxPayload 1048576: a 1 MiB message is delivered, one byte more closes with 1009', async () => {
    const sizes: number[] = []
    const server = await startServer({}, (wss) =>
      wss.on('/size', (conn) => conn.on('message', (data) => void sizes.push(data.length))),
    )
    servers.push(server)
    const fits = await open(server.url('/size'))
    fits.send(Buffer.alloc(1_048_576))
    await eventually(() => sizes.length === 1, '1 MiB message', 2000)
    assert.deepEqual(sizes, [1_048_576])

    const tooBig = await open(server.url('/size'))
    tooBig.send(Buffer.alloc(1_048_577))
    assert.equal((await within(tooBig.closed, 2000, 'oversized closed')).code, 1009)
    assert.deepEqual(sizes, [1_048_576])
  })

  test('maxConnections 0 and allowedOrigins []: 20 clients, any or no Origin, all accepted', async () => {
    const server = await startServer()
    servers.push(server)
    for (let i = 0; i < 10; i++) await open(server.url('/'))
    for (let i = 0; i < 10; i++)
      await open(server.url('/'), { origin: `https://site-${i}.example` })
    assert.equal(server.wss.getConnectionCount(), 20)
    assert.deepEqual(server.wss.getStats().handshakesRejected, {})
  })

  test('perMessageDeflate false and no subprotocols: nothing negotiated', async () => {
    let protocol: string | undefined
    const server = await startServer({}, (wss) =>
      wss.on('/plain', (conn) => {
        protocol = conn.protocol
      }),
    )
    servers.push(server)
    const client = await open(server.url('/plain'), { perMessageDeflate: true })
    assert.equal(client.ws.extensions, '')
    assert.equal(client.ws.protocol, '')
    await eventually(() => protocol !== undefined, 'handler ran', 1000)
    assert.equal(protocol, '')
  })

  test('heartbeatInterval 30000 and clientTimeout 60000: the first interval timer is 30000 ms', async () => {
    const real = globalThis.setInterval
    const delays: Array<number | undefined> = []
    const server = await startServer()
    servers.push(server)
    try {
      globalThis.setInterval = ((callback: () => void, ms?: number) => {
        delays.push(ms)
        return real(callback, ms)
      }) as typeof setInterval
      await open(server.url('/'))
      await eventually(() => server.wss.getConnectionCount() === 1, 'connection', 1000)
    } finally {
      globalThis.setInterval = real
    }
    assert.deepEqual(delays, [30_000])
    // clientTimeout must exceed heartbeatInterval: 59999 is fine with the default 60000, an
    // explicit 60000 is not; given alone, a long interval gets twice its length as default.
    assert.ok(createWebSocket({ heartbeatInterval: 59_999 }) instanceof RoomcastServer)
    assert.throws(() => createWebSocket({ heartbeatInterval: 60_000, clientTimeout: 60_000 }), {
      code: 'ERR_INVALID_OPTION',
      message: /clientTimeout/,
    })
    assert.ok(createWebSocket({ heartbeatInterval: 60_000 }) instanceof RoomcastServer)
  })

  test('handshakeTimeout 10000: an async verifyClient is bounded by a 10000 ms timer', async () => {
    const real = globalThis.setTimeout
    const delays: Array<number | undefined> = []
    const server = await startServer({ verifyClient: async () => true })
    servers.push(server)
    try {
      globalThis.setTimeout = ((callback: () => void, ms?: number) => {
        delays.push(ms)
        return real(callback, ms)
      }) as typeof setTimeout
      await open(server.url('/'))
    } finally {
      globalThis.setTimeout = real
    }
    assert.equal(delays.filter((ms) => ms === 10_000).length, 1)
  })

  test('logger defaults to console: an unhandled handler error goes to console.error', async () => {
    const server = await startServer({ logger: undefined as never }, (wss) =>
      wss.on('/boom', () => {
        throw new Error('boom')
      }),
    )
    servers.push(server)
    const consoleError = mock.method(console, 'error', () => {})
    try {
      const client = await open(server.url('/boom'))
      assert.equal((await within(client.closed, 1000, 'closed')).code, 1011)
      await eventually(() => consoleError.mock.callCount() > 0, 'console.error', 1000)
    } finally {
      consoleError.mock.restore()
    }
    assert.equal(consoleError.mock.callCount(), 1)
    const [message, error] = consoleError.mock.calls[0]?.arguments ?? []
    assert.match(String(message), /^roomcast: /)
    assert.equal((error as Error).message, 'boom')
  })
})

describe('invalid options throw ERR_INVALID_OPTION at createWebSocket(), naming the option', () => {
  const cases: Array<[string, WebSocketOptions, string[]]> = [
    ['maxPayload: -1', { maxPayload: -1 }, ['maxPayload']],
    ['heartbeatInterval: -5', { heartbeatInterval: -5 }, ['heartbeatInterval']],
    ['clientTimeout: -1', { clientTimeout: -1 }, ['clientTimeout']],
    ['maxConnections: -1', { maxConnections: -1 }, ['maxConnections']],
    ['maxRoomsPerConnection: -2', { maxRoomsPerConnection: -2 }, ['maxRoomsPerConnection']],
    ['handshakeTimeout: -1', { handshakeTimeout: -1 }, ['handshakeTimeout']],
    ['maxQueuedBytes: -1', { maxQueuedBytes: -1 }, ['maxQueuedBytes']],
    ['closeTimeout: -1', { closeTimeout: -1 }, ['closeTimeout']],
    ['maxPayload: 1.5', { maxPayload: 1.5 }, ['maxPayload']],
    ['maxFragments: -1', { maxFragments: -1 }, ['maxFragments']],
    ['maxFragments: 2.5', { maxFragments: 2.5 }, ['maxFragments']],
    ['maxConnections: 1.5', { maxConnections: 1.5 }, ['maxConnections']],
    ['closeTimeout: 1.5', { closeTimeout: 1.5 }, ['closeTimeout']],
    ['maxPayload: "100"', { maxPayload: '100' as never }, ['maxPayload']],
    ['heartbeatInterval: "100"', { heartbeatInterval: '100' as never }, ['heartbeatInterval']],
    ['maxConnections: NaN', { maxConnections: Number.NaN }, ['maxConnections']],
    ['path: 5', { path: 5 as never }, ['path']],
    ['path: [""]', { path: [''] }, ['path']],
    ['allowedOrigins: [5]', { allowedOrigins: [5 as never] }, ['allowedOrigins']],
    ['subprotocols: [1]', { subprotocols: [1 as never] }, ['subprotocols']],
    ['verifyClient: "yes"', { verifyClient: 'yes' as never }, ['verifyClient']],
    ['onConnection: 1', { onConnection: 1 as never }, ['onConnection']],
    ['onClose: {}', { onClose: {} as never }, ['onClose']],
    ['onError: true', { onError: true as never }, ['onError']],
    ['logger: {}', { logger: {} as never }, ['logger']],
    ['perMessageDeflate: "yes"', { perMessageDeflate: 'yes' as never }, ['perMessageDeflate']],
    [
      'perMessageDeflate: { serverMaxWindowBits: 20 }',
      { perMessageDeflate: { serverMaxWindowBits: 20 } },
      ['perMessageDeflate', 'serverMaxWindowBits'],
    ],
    [
      'clientTimeout equal to heartbeatInterval',
      { heartbeatInterval: 100, clientTimeout: 100 },
      ['clientTimeout'],
    ],
    [
      'clientTimeout below heartbeatInterval',
      { heartbeatInterval: 100, clientTimeout: 50 },
      ['clientTimeout'],
    ],
    ['handshakeTimeout: 0', { handshakeTimeout: 0 }, ['handshakeTimeout']],
  ]
  for (const [name, options, named] of cases) {
    test(name, () => {
      assert.throws(
        () => createWebSocket(options),
        (error: unknown) => {
          assert.ok(error instanceof RoomcastError, `not a RoomcastError: ${error}`)
          assert.equal(error.code, 'ERR_INVALID_OPTION')
          for (const word of named) {
            assert.ok(error.message.includes(word), `"${error.message}" does not name ${word}`)
          }
          return true
        },
      )
    })
  }

  test('edge values that are valid are accepted', () => {
    const valid: WebSocketOptions[] = [
      { maxPayload: 0, maxConnections: 0, maxRoomsPerConnection: 0, maxQueuedBytes: 1 },
      { heartbeatInterval: 0, clientTimeout: 0 },
      { heartbeatInterval: 40, clientTimeout: 41 },
      { closeTimeout: 0, handshakeTimeout: 1 },
      { path: '/only', allowedOrigins: 'https://*.example.com', subprotocols: ['chat'] },
      { allowedOrigins: [/^https:\/\/x\./, 'http://localhost:*'] },
      { perMessageDeflate: { serverMaxWindowBits: 8, clientMaxWindowBits: 15, threshold: 0 } },
    ]
    for (const options of valid) {
      assert.ok(createWebSocket(options) instanceof RoomcastServer, JSON.stringify(options))
    }
  })
})

describe('the connection type exposes what the options promise', () => {
  test('conn.protocol is the first server-preferred subprotocol the client offers', async () => {
    let conn: WSConnection | undefined
    const server = await startServer({ subprotocols: ['v2', 'v1'] }, (wss) =>
      wss.on('/proto', (c) => {
        conn = c
      }),
    )
    servers.push(server)
    const client = await open(server.url('/proto'), { protocols: ['v1', 'v2'] })
    assert.equal(client.ws.protocol, 'v2')
    await eventually(() => conn !== undefined, 'handler ran', 1000)
    assert.equal(conn?.protocol, 'v2')
  })
})
