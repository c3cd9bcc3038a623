/** The smaller options objects refuse keys they do not know: middleware, rules, helpers, broadcasts. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createWebSocket,
  defineSubscriber,
  ErrorCode,
  pxlServer,
  RoomcastError,
  WebSocketService,
  withRateLimit,
  withRetry,
} from '../src/index.ts'
import { connect, refusedStatus } from './helpers/client.ts'
import { refused } from './helpers/refused.ts'
import { recordingLogger, startServer } from './helpers/server.ts'
import { within } from './helpers/timeout.ts'

const handle = () => {}

describe('subscriber middleware and helper options', () => {
  test("a middleware's typo (onbefore) is refused, not skipped", () => {
    assert.throws(
      () =>
        defineSubscriber({
          name: 'secure',
          channel: 'c',
          handle,
          middleware: [{ name: 'authentication', onbefore: () => false } as never],
        }),
      refused('subscriber "secure": Unknown option "onbefore": did you mean "onBefore"?'),
    )
  })

  test("withRetry's and withRateLimit's options objects", () => {
    assert.throws(
      () => withRetry(handle, { retries: 1, baseDelayMs: 1, maxDelay: 5 } as never),
      refused('withRetry: Unknown option "maxDelay": did you mean "maxDelayMs"?'),
    )
    assert.throws(
      () => withRateLimit(handle, { max: 1, windowMs: 10, onLimit: handle } as never),
      refused('withRateLimit: Unknown option "onLimit": did you mean "onLimited"?'),
    )
  })
})

describe('route object response rules', () => {
  test('a misspelt broadcast, or a key of it, is refused', () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    const rule = { match: () => true, response: 'x' }
    assert.throws(
      () =>
        wss.route({ pattern: '/a', responses: [{ ...rule, broadcst: { room: 'r' } } as never] }),
      refused('route /a: Unknown option "responses[].broadcst": did you mean "broadcast"?'),
    )
    assert.throws(
      () =>
        wss.route({
          pattern: '/b',
          responses: [{ ...rule, broadcast: { room: 'r', includeself: true } as never }],
        }),
      refused(
        'route /b: Unknown option "responses[].broadcast.includeself": did you mean "includeSelf"?',
      ),
    )
    void wss.close()
  })
})

describe('seed 004 option objects', () => {
  test('WebSocketService refuses the seed keys the adapter replaces, naming what to do', () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    assert.throws(
      () => new WebSocketService({ webSocketServer: wss, redisInstance: {} } as never),
      (error: unknown) =>
        error instanceof RoomcastError &&
        error.code === ErrorCode.InvalidOption &&
        error.message.includes('"redisInstance"') &&
        error.message.includes('createRedisAdapter'),
    )
    void wss.close()
  })

  test('broadcast objects: a typo never widens a broadcast; numeric user ids in both forms', async () => {
    const server = await startServer({
      verifyClient: (req) => ({
        userId: new URL(req.url ?? '/', 'ws://x').searchParams.get('u') ?? '',
      }),
    })
    try {
      server.wss.on('/', () => {})
      const wss = server.wss
      assert.throws(
        () => wss.broadcastToAllClients({ data: 'x', excludeClientIds: 'a' } as never),
        refused(
          'broadcastToAllClients: Unknown option "excludeClientIds": did you mean "excludeClientId"?',
        ),
      )
      assert.throws(() => wss.broadcastToRoom({ room: 'r', data: 'x' } as never), {
        code: 'ERR_INVALID_OPTION',
        message: /broadcastToRoom: Unknown option "room"/,
      })
      assert.throws(() => wss.broadcastToClient({ clientId: 'a', data: 1, to: 'b' } as never), {
        code: 'ERR_INVALID_OPTION',
      })
      assert.throws(() => wss.broadcastToUsers({ userIds: [1], data: 1, users: [2] } as never), {
        code: 'ERR_INVALID_OPTION',
      })
      const face = pxlServer(wss)
      assert.throws(() => face.sendMessageToAll({ data: 1, room: 'r' } as never), {
        code: 'ERR_INVALID_OPTION',
        message: /sendMessageToAll: Unknown option "room"/,
      })

      const client = await connect(server.url('/?u=123'))
      assert.equal(wss.broadcastToUsers([123], 'positional'), 1)
      assert.equal(await client.next(), 'positional')
      assert.equal(wss.broadcastToUsers({ userIds: [123], data: 'object' }), 1)
      assert.equal(await client.next(), 'object')
      client.close()
      await within(client.closed)
    } finally {
      await server.close()
    }
  })
})

describe('identities and debug', () => {
  test("verifyClient's identity with a misspelt key is refused with 401 and reported", async () => {
    const logger = recordingLogger()
    const server = await startServer({
      logger,
      verifyClient: () => ({ userId: 'u1', metdata: { role: 'admin' } }) as never,
    })
    try {
      server.wss.on('/', () => {})
      assert.equal(await refusedStatus(server.url('/')), 401)
      const logged = logger.entries.map((entry) => `${entry.message} ${String(entry.details[0])}`)
      assert.ok(
        logged.some((line) => line.includes('Unknown option "metdata": did you mean "metadata"?')),
        `not reported: ${logged.join(' | ')}`,
      )
    } finally {
      await server.close()
    }
  })

  test("PXL's debug: { printRoutes } is refused, saying what debug: true does", () => {
    assert.throws(
      () => createWebSocket({ debug: { printRoutes: true } } as never),
      (error: unknown) =>
        error instanceof RoomcastError &&
        error.code === ErrorCode.InvalidOption &&
        error.message.includes('printRoutes') &&
        error.message.includes('debug: true'),
    )
  })
})
