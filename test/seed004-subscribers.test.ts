/** Seed 004's subscribers and subscriber helpers as the seed writes them, on an in-memory server. */
import assert from 'node:assert/strict'
import { afterEach, describe, mock, test } from 'node:test'
import type { PxlSubscriberContext, RoomcastServer, WebSocketOptions } from '../src/index.ts'
import {
  defineWebSocketSubscriber,
  pxlServer,
  type SubscriberContext,
  WebSocketRedisSubscriberEvent,
  withFilter,
  withRateLimit,
  withRetry,
  withValidation,
} from '../src/index.ts'
import customSubscriber from './fixtures/seed004/custom.ts'
import queueDashboard from './fixtures/seed004/queue-dashboard.ts'
import type { TestClient } from './helpers/client.ts'
import { identityFromQuery } from './helpers/identity.ts'
import { nextJson } from './helpers/json.ts'
import { recordingLogger } from './helpers/server.ts'
import { serverFixture } from './helpers/teardown.ts'
import { eventually } from './helpers/timeout.ts'

const { open, serve } = serverFixture()
afterEach(() => mock.restoreAll())

/** A server whose subscribers `setup` registers, its logger, and clients on `/` (`?user=` for an identity). */
async function subscriberServer(
  setup: (wss: RoomcastServer) => void,
  options: WebSocketOptions = {},
) {
  const logger = recordingLogger()
  const server = await serve(setup, { verifyClient: identityFromQuery, logger, ...options })
  const join = (query = ''): Promise<TestClient> => open(server.url(`/${query}`))
  /** What the server logged about failed subscribers. */
  const failures = () =>
    logger.entries
      .filter((entry) => entry.message.startsWith('roomcast: subscriber'))
      .map((entry) => `${entry.message}: ${(entry.details[0] as Error).message}`)
  return { wss: server.wss, join, failures }
}

describe("a subscriber's context", () => {
  test('carries channel, message, webSocketServer (the server face) and server', async () => {
    const seen: SubscriberContext<{ server: RoomcastServer; webSocketServer: unknown }>[] = []
    const { wss } = await subscriberServer((wss) =>
      wss.subscribe({ channel: 'news', handle: (context) => void seen.push(context) }),
    )
    await wss.publish('news', { n: 1 })
    await eventually(() => seen.length === 1, 'the subscriber ran')
    const [context] = seen
    assert.equal(context?.channel, 'news')
    assert.deepEqual(context?.message, { n: 1 })
    assert.equal(context?.webSocketServer, pxlServer(wss))
    assert.equal(context?.server, wss)
    assert.equal(context?.subscriber.name, 'subscriber#1', 'unnamed: the registry named it')
  })
})

describe("seed 004's subscriber examples", () => {
  const status = { type: 'status', action: 'update', data: { userId: 123, status: 'online' } }

  test('the custom subscriber turns userStatusChanged into a status update for everyone', async () => {
    const { wss, join } = await subscriberServer((wss) => wss.subscribe(customSubscriber))
    const clients = [await join(), await join()]

    await pxlServer(wss).sendCustomMessage({
      data: { type: 'custom', action: 'userStatusChanged', userId: 123, status: 'online' },
    })
    for (const client of clients) assert.deepEqual(await nextJson(client), status)

    // The seed calls it on the server itself: `app.websocket.server.sendCustomMessage({ data })`.
    await wss.sendCustomMessage({
      data: { type: 'custom', action: 'userStatusChanged', userId: 123, status: 'online' },
    })
    for (const client of clients) assert.deepEqual(await nextJson(client), status)

    await wss.sendCustomMessage({ data: { type: 'custom', action: 'somethingElse' } })
    await wss.publish('other-channel', { type: 'custom', action: 'userStatusChanged' })
    await Promise.all(clients.map((client) => client.nothingWithin(40)))
  })

  test("the debug subscriber on channels: ['*'] logs every channel", async () => {
    const log = mock.method(console, 'log', () => {})
    const { wss } = await subscriberServer((wss) =>
      wss.subscribe({
        channels: ['*'],
        handle: ({ channel, message }) => {
          console.log('Redis event received:', channel, message)
        },
      }),
    )
    await wss.publish('anything', 1)
    await wss.sendCustomMessage({ data: { type: 'custom' } })
    await wss.publish(WebSocketRedisSubscriberEvent.QueueJobError, { jobId: 'j' })
    await eventually(() => log.mock.callCount() === 3, 'three channels logged')
    assert.deepEqual(
      log.mock.calls.map((call) => call.arguments),
      [
        ['Redis event received:', 'anything', 1],
        ['Redis event received:', 'custom', { type: 'custom' }],
        ['Redis event received:', 'queueJobError', { jobId: 'j' }],
      ],
    )
  })

  test('queueDashboard forwards both queue channels on Custom, in priority order', async () => {
    const order: string[] = []
    let forwarded = () => -1
    const { wss, join } = await subscriberServer((wss) => {
      wss.subscribe(queueDashboard)
      for (const [name, priority] of [
        ['after', 10],
        ['before', 30],
      ] as const) {
        wss.subscribe({
          name,
          priority,
          channels: [WebSocketRedisSubscriberEvent.QueueJobCompleted],
          handle: () => void order.push(`${name}:${forwarded()}`),
        })
      }
      wss.subscribe({
        channel: WebSocketRedisSubscriberEvent.Custom,
        handle: ({ message, webSocketServer }) => {
          webSocketServer.broadcastToAllClients({ data: message })
        },
      })
    })
    const forward = mock.method(pxlServer(wss), 'sendCustomMessage')
    forwarded = () => forward.mock.callCount()
    const client = await join()

    await wss.publish(WebSocketRedisSubscriberEvent.QueueJobCompleted, { jobId: 1 })
    assert.deepEqual(await nextJson(client), { type: 'queue', action: 'done', data: { jobId: 1 } })
    assert.deepEqual(
      order,
      ['before:0', 'after:1'],
      'priority 30, then queueDashboard (20), then 10',
    )
    await wss.publish(WebSocketRedisSubscriberEvent.QueueJobError, { jobId: 2 })
    assert.deepEqual(await nextJson(client), {
      type: 'queue',
      action: 'errored',
      data: { jobId: 2 },
    })
    assert.equal(queueDashboard.name, 'queueDashboard')
    assert.deepEqual(queueDashboard.channels, ['queueJobCompleted', 'queueJobError'])
    assert.equal(queueDashboard.priority, 20)
  })
})

describe("seed 004's helpers, in the seed's argument order", () => {
  test('withFilter(predicate, handler): a filter that says no stops the handler', async () => {
    let ran = 0
    const handler = async ({ webSocketServer, message }: PxlSubscriberContext) => {
      ran++
      // Only broadcast to authenticated users
      webSocketServer.broadcastToAllClients({
        data: message,
        predicate: ({ userData }) => !!userData?.userId,
      })
    }
    const { wss, join } = await subscriberServer((wss) =>
      wss.subscribe(
        defineWebSocketSubscriber({
          channel: 'protected',
          handle: withFilter((context) => {
            // Only execute if conditions are met
            return context.message?.authenticated === true
          }, handler),
        }),
      ),
    )
    const guest = await join()
    const member = await join('?user=m1')
    await wss.publish('protected', { authenticated: false, text: 'no' })
    await wss.publish('protected', { text: 'no either' })
    await wss.publish('protected', { authenticated: true, text: 'yes' })
    assert.deepEqual(await nextJson(member), { authenticated: true, text: 'yes' })
    assert.equal(ran, 1)
    await Promise.all([guest.nothingWithin(40), member.nothingWithin(20)])
  })

  test('withValidation(validator, handler): a validator that throws or returns false stops it', async () => {
    const handler = async ({ message, webSocketServer }: PxlSubscriberContext) => {
      webSocketServer.broadcastToAllClients({
        data: message,
      })
    }
    const { wss, join, failures } = await subscriberServer((wss) => {
      wss.subscribe(
        defineWebSocketSubscriber({
          channel: 'messages',
          handle: withValidation((message) => {
            // Validate message structure
            if (!message?.type) throw new Error('Missing type')
            if (!message?.action) throw new Error('Missing action')
            if (!message?.data) throw new Error('Missing data')
          }, handler),
        }),
      )
      wss.subscribe(
        defineWebSocketSubscriber({
          name: 'strict',
          channel: 'strict',
          handle: withValidation((message) => message.ok === true, handler),
        }),
      )
    })
    const client = await join()
    await wss.publish('messages', { type: 'chat', action: 'send' })
    await wss.publish('messages', { action: 'send', data: 1 })
    await wss.publish('strict', { ok: false })
    const valid = { type: 'chat', action: 'send', data: { text: 'hi' } }
    await wss.publish('messages', valid)
    await wss.publish('strict', { ok: true })
    assert.deepEqual(await nextJson(client), valid)
    assert.deepEqual(await nextJson(client), { ok: true })
    await client.nothingWithin(30)
    assert.deepEqual(failures(), [
      'roomcast: subscriber "subscriber#1" failed on channel "messages" (handle): Missing data',
      'roomcast: subscriber "subscriber#1" failed on channel "messages" (handle): Missing type',
      'roomcast: subscriber "strict" failed on channel "strict" (handle): subscriber "strict": message on channel "strict" failed validation',
    ])
  })

  test('withRetry(handler, maxRetries, initialDelayMs, backoffMultiplier) retries until it succeeds', async () => {
    let attempts = 0
    let failing = 2
    const handler = async ({ message, webSocketServer }: PxlSubscriberContext) => {
      attempts++
      if (failing-- > 0) throw new Error(`database down (attempt ${attempts})`)
      webSocketServer.sendMessageToAll({ data: { synced: message, attempts } })
    }
    const { wss, join, failures } = await subscriberServer((wss) =>
      wss.subscribe(
        defineWebSocketSubscriber({
          channel: 'database-sync',
          handle: withRetry(handler, 3, 2, 2),
        }),
      ),
    )
    const client = await join()
    await wss.publish('database-sync', 'row-1')
    assert.deepEqual(await nextJson(client), { synced: 'row-1', attempts: 3 })
    assert.deepEqual(failures(), [], 'the failures it retried are not reported')

    // Failing every time: after 1 + 3 attempts it gives up, and the last error is reported.
    attempts = 0
    failing = 4
    await wss.publish('database-sync', 'row-2')
    await eventually(() => failures().length === 1, 'the last failure reported')
    assert.equal(attempts, 4)
    assert.deepEqual(failures(), [
      'roomcast: subscriber "subscriber#1" failed on channel "database-sync" (handle): database down (attempt 4)',
    ])
    await client.nothingWithin(20)
  })

  test('withRateLimit(handler, maxExecutions, windowMs, onLimited) limits and calls onLimited', async () => {
    const limited: string[] = []
    const handler = async ({ webSocketServer, message }: PxlSubscriberContext) => {
      webSocketServer.broadcastToAllClients({
        data: message,
      })
    }
    const { wss, join } = await subscriberServer((wss) =>
      wss.subscribe(
        defineWebSocketSubscriber({
          channel: 'updates',
          handle: withRateLimit(
            handler,
            2, // max executions
            60000, // 1 minute window
            (context) => {
              limited.push(`Rate limit exceeded for channel: ${context.channel}`)
            },
          ),
        }),
      ),
    )
    const client = await join()
    for (const n of [1, 2, 3, 4]) await wss.publish('updates', { n })
    assert.deepEqual(await nextJson(client), { n: 1 })
    assert.deepEqual(await nextJson(client), { n: 2 })
    await client.nothingWithin(40)
    assert.deepEqual(limited, [
      'Rate limit exceeded for channel: updates',
      'Rate limit exceeded for channel: updates',
    ])
  })
})
