/** Every options object refuses keys it does not know, with the seed's roomcast form or a near miss. */
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import {
  ClusterAdapter,
  createEmitter,
  createInProcessBus,
  createWebSocket,
  ErrorCode,
  RoomcastError,
  type RoomcastServer,
  systemController,
  type WebSocketOptions,
  withWebSocket,
} from '../src/index.ts'
import { nearMiss, SEED_NAMES, SEED_SYSTEMS, type SeedName } from '../src/options/index.ts'
import {
  createRedisAdapter,
  createEmitter as createRedisEmitter,
  createRedisTransport,
} from '../src/redis.ts'
import { connect } from './helpers/client.ts'
import { refused } from './helpers/refused.ts'
import { recordingLogger, startServer } from './helpers/server.ts'

const quiet = { logger: recordingLogger() }

/** Passes an options object the types refuse, as JavaScript would. */
function wss(options: Record<string, unknown>): RoomcastServer {
  return createWebSocket({ ...quiet, ...options } as WebSocketOptions)
}

/** The hint the table promises for a row, as the message writes it (no backticks). */
function hintOf(row: SeedName): string {
  const use = row.use === undefined ? (row.instead ?? '') : `use "${row.use}"`
  return `(${SEED_SYSTEMS[row.seed].name}'s name): ${use}`.replaceAll('`', '')
}

/** Rows naming a key roomcast does not have there: each must be refused. */
const renamed = (where: SeedName['in']) =>
  SEED_NAMES.filter((row) => row.in === where && row.use !== row.name)

describe('createWebSocket() options', () => {
  const servers: RoomcastServer[] = []
  after(async () => {
    for (const server of servers) await server.close()
  })

  test('every seed name in the table is refused with its roomcast form', () => {
    const rows = renamed('createWebSocket')
    assert.ok(rows.length >= 30, `only ${rows.length} rows`)
    for (const row of rows) {
      assert.throws(
        () => wss({ [row.name]: 1 }),
        (error: unknown) => {
          assert.ok(error instanceof RoomcastError)
          assert.equal(error.code, ErrorCode.InvalidOption)
          assert.ok(
            error.message.startsWith(`Unknown option "${row.name}" ${hintOf(row)}`),
            `${row.name}: ${error.message}`,
          )
          return true
        },
      )
    }
  })

  test('seed names spelled out: the exact messages', () => {
    assert.throws(
      () => wss({ allowOrigins: ['https://app.example'] }),
      refused('Unknown option "allowOrigins" (NextRush v2\'s name): use "allowedOrigins"'),
    )
    assert.throws(
      () => wss({ heartbeatMs: 15_000 }),
      refused('Unknown option "heartbeatMs" (NextRush v2\'s name): use "heartbeatInterval"'),
    )
    assert.throws(
      () => wss({ maxMessageSize: 64 * 1024 }),
      refused('Unknown option "maxMessageSize" (NextRush v2\'s name): use "maxPayload"'),
    )
    assert.throws(
      () => wss({ idleTimeout: 120 }),
      refused(
        'Unknown option "idleTimeout" (verb\'s name): use "inactivityTimeout" (milliseconds: verb\'s idleTimeout counts seconds)',
      ),
    )
    assert.throws(
      () => wss({ closeOnBackpressureLimit: true }),
      refused(
        "Unknown option \"closeOnBackpressureLimit\" (verb's name): use backpressurePolicy: 'close' (close code 1013); false is the default, 'drop'",
      ),
    )
    assert.throws(
      () => wss({ maxCompressedSize: 1024 }),
      /\(verb's name\): use maxPayload: it limits the decompressed message/,
    )
    assert.throws(
      () => wss({ websocket: { message: () => {} } }),
      /"websocket" \(verb's name\): put the handlers in wss\.on\(path, \{ open, message, close, drain, ping, pong, error \}\)/,
    )
    assert.throws(
      () => wss({ wsHandlers: [] }),
      /"wsHandlers" \(vite-plugin-universal-api's name\): call wss\.route\(handler\)/,
    )
    assert.throws(() => wss({ endpointPrefix: '/api' }), /include the prefix in each route's/)
    assert.throws(
      () => wss({ auth: { jwtSecret: 's' } }),
      /jwt\(\{ … \}\) or seed 004's \{ jwtSecretKey \}/,
    )
    assert.throws(
      () => wss({ rooms: { clientCanJoinMultipleRooms: false } }),
      /use systemController\(\{ clientCanJoinMultipleRooms \}\)/,
    )
    assert.throws(() => wss({ routes: [] }), /use wss\.controllers\(routes\)/)
    assert.throws(() => wss({ events: {} }), /use onConnection, onClose, onError/)
  })

  test('allowOrigins never yields a server with an open origin check', async () => {
    assert.throws(() => wss({ allowOrigins: ['https://app.example'] }), {
      code: 'ERR_INVALID_OPTION',
    })
    // The name that works closes the door an evil origin would walk through.
    const srv = await startServer({ allowedOrigins: ['https://app.example'] }, (s) =>
      s.on('/', () => {}),
    )
    try {
      await assert.rejects(connect(srv.url('/'), { origin: 'https://evil.example' }), {
        status: 403,
      })
      const ok = await connect(srv.url('/'), { origin: 'https://app.example' })
      ok.close()
    } finally {
      await srv.close()
    }
  })

  test('a near miss names the option it misses', () => {
    assert.throws(
      () => wss({ maxPayLoad: 10 }),
      refused('Unknown option "maxPayLoad": did you mean "maxPayload"?'),
    )
    assert.throws(
      () => wss({ heartbeatIntervall: 10 }),
      refused('Unknown option "heartbeatIntervall": did you mean "heartbeatInterval"?'),
    )
    assert.throws(
      () => wss({ allowedOrigin: [] }),
      refused('Unknown option "allowedOrigin": did you mean "allowedOrigins"?'),
    )
    assert.throws(() => wss({ colour: 'blue' }), refused('Unknown option "colour"'))
  })

  test('an unknown key is refused even when its value is undefined', () => {
    assert.throws(() => wss({ allowOrigins: undefined }), { code: 'ERR_INVALID_OPTION' })
  })

  test('seed names that roomcast shares are accepted', () => {
    const server = wss({
      path: '/ws',
      maxConnections: 10,
      verifyClient: () => true,
      debug: false,
      maxBackpressure: 1024,
      compression: 'disabled',
      maxLifetime: 0,
    })
    servers.push(server)
  })
})

describe('nearMiss()', () => {
  test('case, one edit, a swap; nothing for a name far from all', () => {
    const known = ['maxPayload', 'path', 'heartbeatInterval']
    assert.equal(nearMiss('MAXPAYLOAD', known), 'maxPayload')
    assert.equal(nearMiss('maxPaylod', known), 'maxPayload')
    assert.equal(nearMiss('maxPalyoad', known), 'maxPayload')
    assert.equal(nearMiss('paths', known), 'path')
    assert.equal(nearMiss('heartbeat', known), 'heartbeatInterval')
    assert.equal(nearMiss('maxPay', known), 'maxPayload')
    assert.equal(nearMiss('port', known), undefined)
    assert.equal(nearMiss('pingInterval', known), undefined)
  })
})

describe('nested options objects', () => {
  test('perMessageDeflate', () => {
    assert.throws(
      () => wss({ perMessageDeflate: { serverMaxWindowBit: 10 } }),
      refused(
        'Unknown option "perMessageDeflate.serverMaxWindowBit": did you mean "serverMaxWindowBits"?',
      ),
    )
    assert.throws(
      () => wss({ perMessageDeflate: { level: 9 } }),
      refused('Unknown option "perMessageDeflate.level"'),
    )
  })

  test('rateLimit', () => {
    assert.throws(
      () => wss({ rateLimit: { messages: 5, interval: 1000, onExceed: 'close' } }),
      refused('Unknown option "rateLimit.onExceed": did you mean "onExceeded"?'),
    )
  })

  test('disconnectInactiveClients', () => {
    assert.throws(
      () => wss({ disconnectInactiveClients: { inactiveTime: 1000, intervalCheck: 100 } }),
      refused(
        'Unknown option "disconnectInactiveClients.intervalCheck": did you mean "intervalCheckTime"?',
      ),
    )
    // Checked even when disabled, so a typo cannot hide behind enabled: false.
    assert.throws(
      () => wss({ disconnectInactiveClients: { enabled: false, inactivetime: 1 } }),
      /did you mean "inactiveTime"\?/,
    )
  })
})

describe('route objects (wss.route)', () => {
  const server = wss({})
  after(() => server.close())

  test('an unknown key names the route and the key', () => {
    assert.throws(
      () => server.route({ pattern: '/a', onMesage: () => {} } as never),
      refused('route /a: Unknown option "onMesage": did you mean "onMessage"?'),
    )
    assert.throws(
      () => server.route({ pattern: '/b', heartbeatMs: 1000 } as never),
      refused('route /b: Unknown option "heartbeatMs": did you mean "heartbeat"?'),
    )
  })

  test("another object's seed name still points at the route's own option", () => {
    assert.throws(
      () => server.route({ pattern: '/c', idleTimeout: 30 } as never),
      refused(
        'route /c: Unknown option "idleTimeout" (verb\'s name): use "inactivityTimeout" (milliseconds: verb\'s idleTimeout counts seconds)',
      ),
    )
  })

  test("a route's perMessageDeflate and rateLimit", () => {
    assert.throws(
      () => server.route({ pattern: '/d', perMessageDeflate: { stric: true } } as never),
      refused('route /d: Unknown option "perMessageDeflate.stric": did you mean "strict"?'),
    )
    assert.throws(
      () =>
        server.route({
          pattern: '/e',
          rateLimit: { messages: 1, interval: 1, burst: 2 } as never,
        }),
      refused('route /e: Unknown option "rateLimit.burst"'),
    )
  })

  test('every key of a full route object is known', () => {
    server.route({
      pattern: '/full',
      onConnect: () => {},
      onMessage: () => {},
      onClose: () => {},
      onError: () => {},
      onPing: () => {},
      onPong: () => {},
      transformRawData: (raw) => raw,
      defaultRoom: 'lobby',
      authenticate: () => true,
      heartbeat: 1000,
      inactivityTimeout: 1000,
      maxLifetime: 1000,
      subprotocols: ['chat'],
      perMessageDeflate: { strict: false, serverMaxWindowBits: 12 },
      responses: [],
      maxPayload: 1024,
      rateLimit: { messages: 5, interval: 1000 },
    })
  })
})

describe('controller routes (wss.controllers)', () => {
  test("an unknown key is refused with the route's index; seed 004's controllerName is accepted", async () => {
    const server = wss({})
    assert.throws(
      () =>
        server.controllers([{ type: 'a', action: 'b', handler: () => 1, schemas: {} } as never]),
      refused('controllers: route 0: Unknown option "schemas": did you mean "schema"?'),
    )
    server.controllers([{ type: 'a', action: 'b', handler: () => 1, controllerName: 'a' }])
    await server.close()
  })
})

describe('systemController()', () => {
  test('an unknown key is refused; the seed form of rooms is refused with the option', () => {
    assert.throws(
      () => systemController({ clientCanJoinMultipleRoom: false } as never),
      refused(
        'systemController: Unknown option "clientCanJoinMultipleRoom": did you mean "clientCanJoinMultipleRooms"?',
      ),
    )
    assert.equal(systemController({ clientCanJoinMultipleRooms: false }).length, 2)
  })
})

describe('adapters, emitters, transports', () => {
  test('new ClusterAdapter()', () => {
    const transport = createInProcessBus().transport()
    assert.throws(
      () => new ClusterAdapter({ transport, prefx: 'chat' } as never),
      refused('ClusterAdapter: Unknown option "prefx": did you mean "prefix"?'),
    )
  })

  test('createEmitter() over a transport', () => {
    const transport = createInProcessBus().transport()
    assert.throws(
      () => createEmitter({ transport, channel: 'x' } as never),
      refused('createEmitter: Unknown option "channel"'),
    )
  })

  // Refused before any connection is attempted: port 1 would fail differently.
  const nowhere = 'redis://127.0.0.1:1'

  test('createRedisAdapter() rejects before connecting', async () => {
    await assert.rejects(
      createRedisAdapter({ redis: nowhere, heartbeatIntervall: 100 } as never),
      refused(
        'createRedisAdapter: Unknown option "heartbeatIntervall": did you mean "heartbeatInterval"?',
      ),
    )
    await assert.rejects(
      createRedisAdapter({ redisInstance: nowhere } as never),
      refused(
        'createRedisAdapter: Unknown option "redisInstance" (PXL\'s name): use "redis" (a redis:// URL or a connected node-redis client)',
      ),
    )
    await assert.rejects(
      createRedisAdapter({ redis: nowhere, workerId: '1' } as never),
      /\(PXL's name\): use "nodeId"/,
    )
  })

  test('a plain { host, port } is not taken for a client', async () => {
    await assert.rejects(
      createRedisAdapter({ redis: { host: '127.0.0.1', port: 6379 } } as never),
      /for \{ host, port \}, pass `redis:\/\/host:port`/,
    )
  })

  test('createEmitter() over Redis and createRedisTransport()', async () => {
    await assert.rejects(
      createRedisEmitter({ redis: nowhere, prefixx: 'a' } as never),
      refused('createEmitter: Unknown option "prefixx": did you mean "prefix"?'),
    )
    assert.throws(
      () => createRedisTransport({ url: nowhere, reconnect: false } as never),
      refused('createRedisTransport: Unknown option "reconnect"'),
    )
  })
})

describe('withWebSocket()', () => {
  test('rejects an unknown option before listening', async () => {
    const server = wss({})
    try {
      await assert.rejects(
        withWebSocket(() => {}, server, 0, '127.0.0.1', { headerTimeout: 10 } as never),
        refused('withWebSocket: Unknown option "headerTimeout": did you mean "headersTimeout"?'),
      )
    } finally {
      await server.close()
    }
  })
})
