/** The Redis transport against a real redis-server: bytes, batching, interest, a caller's client, outages. */
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { describe, test } from 'node:test'
import { createClient } from 'redis'
import { createRedisTransport, type RedisClient } from '../src/adapter/redis-transport.ts'
import type { Transport, TransportStatus } from '../src/adapter/transport.ts'
import { type RedisProcess, startRedis } from './helpers/redis.ts'
import { cleanupsAfterEach, leaksDuringFile } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()

// Outages must not leak a rejection or an exception anywhere in the process.
const leaked = leaksDuringFile()

async function redisServer(): Promise<RedisProcess> {
  const redis = await within(startRedis(), 8000, 'startRedis')
  cleanups.push(() => redis.kill())
  return redis
}

async function transportFor(options: Parameters<typeof createRedisTransport>[0]) {
  const transport = await within(createRedisTransport(options), 3000, 'createRedisTransport')
  cleanups.push(() => within(transport.close(), 3000, 'transport.close'))
  return transport
}

/** A separate client, as another node would be: it proves what Redis itself holds. */
async function otherClient(url: string): Promise<RedisClient> {
  const client = createClient({ url, socket: { reconnectStrategy: 50 } })
  client.on('error', () => {})
  await within(client.connect(), 2000, 'other client connect')
  cleanups.push(() => client.destroy())
  return client
}

function received(transport: Transport) {
  const messages: Array<{ channel: string; text: string }> = []
  transport.onMessage((channel, message) => messages.push({ channel, text: message.toString() }))
  const has = (channel: string, text: string) =>
    messages.some((m) => m.channel === channel && m.text === text)
  return { messages, has }
}

function statuses(transport: Transport, onUp?: () => void): TransportStatus[] {
  const seen: TransportStatus[] = []
  transport.onStatus((status) => {
    seen.push(status)
    if (status.up) onUp?.()
  })
  return seen
}

async function numsub(client: RedisClient, channels: string[]): Promise<Record<string, number>> {
  return { ...(await client.pubSubNumSub(channels)) }
}

/** Calls of one command since the last CONFIG RESETSTAT, from INFO commandstats. */
async function calls(client: RedisClient, command: string): Promise<number> {
  const info = await client.info('commandstats')
  return Number(info.match(new RegExp(`cmdstat_${command}:calls=(\\d+)`))?.[1] ?? 0)
}

describe('createRedisTransport', () => {
  test('round-trips binary messages with their channel', async () => {
    const redis = await redisServer()
    const transport = await transportFor({ url: redis.url })
    assert.deepEqual(transport.status, { up: true })
    const got: Array<[string, Buffer]> = []
    transport.onMessage((channel, message) => got.push([channel, message]))
    await transport.subscribe(['app:bytes'])
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    await transport.publish('app:bytes', bytes)
    await eventually(() => got.length === 1, 'binary message')
    const [[channel, message] = ['', Buffer.alloc(0)]] = got
    assert.equal(channel, 'app:bytes')
    assert.ok(Buffer.isBuffer(message))
    assert.deepEqual(message, bytes)
  })

  test('batches changes made in one tick into one SUBSCRIBE and one UNSUBSCRIBE', async () => {
    const redis = await redisServer()
    const transport = await transportFor({ url: redis.url })
    const other = await otherClient(redis.url)
    await other.configResetStat()
    await Promise.all([
      transport.subscribe(['r1']),
      transport.subscribe(['r2', 'r3']),
      transport.subscribe(['r4']),
    ])
    assert.equal(await calls(other, 'subscribe'), 1)
    assert.deepEqual(await numsub(other, ['r1', 'r2', 'r3', 'r4']), { r1: 1, r2: 1, r3: 1, r4: 1 })

    // Joining and leaving one room in the same tick cancels out: no command at all for it.
    await Promise.all([
      transport.subscribe(['brief']),
      transport.unsubscribe(['brief']),
      transport.unsubscribe(['r1']),
      transport.unsubscribe(['r2']),
      transport.subscribe(['r1']),
    ])
    assert.equal(await calls(other, 'subscribe'), 1)
    assert.equal(await calls(other, 'unsubscribe'), 1)
    assert.deepEqual(await numsub(other, ['brief', 'r1', 'r2', 'r3']), {
      brief: 0,
      r1: 1,
      r2: 0,
      r3: 1,
    })
    // Subscribing what is held already sends nothing either.
    await transport.subscribe(['r3'])
    assert.equal(await calls(other, 'subscribe'), 1)
  })

  test('a listener that throws is reported to onError, and delivery goes on', async () => {
    const redis = await redisServer()
    const errors: Error[] = []
    const transport = await transportFor({ url: redis.url, onError: (e) => errors.push(e) })
    const texts: string[] = []
    transport.onMessage((_, message) => {
      const text = message.toString()
      if (text === 'boom') throw new Error('listener failed')
      texts.push(text)
    })
    await transport.subscribe(['app:x'])
    for (const text of ['one', 'boom', 'two']) await transport.publish('app:x', Buffer.from(text))
    await eventually(() => texts.length === 2, 'messages around the throw')
    assert.deepEqual(texts, ['one', 'two'])
    assert.deepEqual(
      errors.map((e) => e.message),
      ['listener failed'],
    )
  })

  test('unsubscribe stops delivery on that channel only', async () => {
    const redis = await redisServer()
    const transport = await transportFor({ url: redis.url })
    const other = await otherClient(redis.url)
    const { messages, has } = received(transport)
    await transport.subscribe(['a', 'b'])
    await other.publish('a', '1')
    await other.publish('b', '1')
    await eventually(() => has('a', '1') && has('b', '1'), 'both channels')
    await transport.unsubscribe(['a'])
    await other.publish('a', '2')
    await other.publish('b', '2')
    // Redis delivers in publish order, so once b:2 is here a:2 would have been too.
    await eventually(() => has('b', '2'), 'b after unsubscribing a')
    assert.equal(has('a', '2'), false)
    assert.equal(messages.length, 3)
  })

  test("works over a caller's client and leaves it connected, with its listeners as they were", async () => {
    const redis = await redisServer()
    const client: RedisClient = createClient({ url: redis.url })
    const mine = () => {}
    client.on('error', mine)
    await client.connect()
    cleanups.push(() => client.destroy())
    const events = ['error', 'ready', 'end', 'reconnecting', 'connect', 'message']
    const counts = () => events.map((event) => client.listenerCount(event))
    const before = counts()

    const transport = await transportFor({ client })
    const { has } = received(transport)
    await transport.subscribe(['app:user'])
    await transport.publish('app:user', Buffer.from('via the caller'))
    await eventually(() => has('app:user', 'via the caller'), 'message over the caller client')
    assert.deepEqual(counts(), before)

    await client.configResetStat()
    await transport.close()
    await transport.close() // idempotent
    assert.equal(await calls(client, 'unsubscribe'), 1)
    assert.equal(client.isReady, true)
    assert.equal(await client.ping(), 'PONG')
    assert.deepEqual(counts(), before)
    // The subscriber connection was the transport's own, and is gone.
    assert.deepEqual(await numsub(client, ['app:user']), { 'app:user': 0 })
    await assert.rejects(transport.publish('app:user', Buffer.from('x')), /closed/)
  })

  test("publish rejects at once while a caller's client is not ready", async () => {
    const redis = await redisServer()
    const client: RedisClient = createClient({ url: redis.url }) // never connected
    const transport = await transportFor({ client })
    const started = performance.now()
    await assert.rejects(transport.publish('x', Buffer.from('x')), /redis unavailable/)
    assert.ok(performance.now() - started < 100)
  })

  test('rejects a wrong pair of options at once', () => {
    assert.throws(() => createRedisTransport({} as never), TypeError)
    assert.throws(
      () => createRedisTransport({ url: 'redis://127.0.0.1:1', connectTimeout: 0 }),
      /connectTimeout/,
    )
  })

  test('rejects with the cause when Redis cannot be reached in connectTimeout', async () => {
    const redis = await redisServer()
    await redis.stop()
    await assert.rejects(
      within(createRedisTransport({ url: redis.url, connectTimeout: 200 }), 1000, 'connect'),
      /could not connect to redis within 200 ms: connect ECONNREFUSED/,
    )
  })
})

describe('createRedisTransport through outages', () => {
  for (const outage of ['stop', 'kill'] as const) {
    test(`redis ${outage}: down once, publish fails fast, then every channel is back`, async (t) => {
      const redis = await redisServer()
      const transport = await transportFor({ url: redis.url })
      const { has } = received(transport)
      // Up means re-subscribed already: a publish made the moment it is reported must arrive.
      const seen = statuses(transport, () => {
        for (const channel of ['r1', 'r2', 'r4']) {
          transport
            .publish(channel, Buffer.from('at up'))
            .catch((error: unknown) => leaked.push(error))
        }
      })
      await transport.subscribe(['r1', 'r2', 'r3'])

      // Traffic that keeps going through the outage; failures must reject, not queue.
      let sent = 0
      let failed = 0
      const traffic = setInterval(() => {
        transport.publish('r1', Buffer.from(`t${sent++}`)).catch(() => failed++)
      }, 5)
      // Membership churn too, so changes also arrive while the transport re-subscribes.
      let churns = 0
      const churn = setInterval(() => {
        const change = churns++ % 2 === 0 ? transport.subscribe : transport.unsubscribe
        change.call(transport, ['churn']).catch(() => {})
      }, 1)
      cleanups.push(() => clearInterval(traffic))
      cleanups.push(() => clearInterval(churn))
      await eventually(() => has('r1', 't3'), 'traffic before the outage')

      const leakedBefore = leaked.length
      await redis[outage]()
      const downAt = performance.now()
      await eventually(() => seen.length > 0, 'status down')
      t.diagnostic(`down reported ${(performance.now() - downAt).toFixed(1)} ms after ${outage}`)
      assert.equal(seen[0]?.up, false)
      assert.match((seen[0] as { reason: string }).reason, /redis connection lost/)

      const started = performance.now()
      await assert.rejects(transport.publish('r2', Buffer.from('lost')), /redis unavailable/)
      const rejectMs = performance.now() - started
      t.diagnostic(`publish rejected in ${rejectMs.toFixed(2)} ms`)
      assert.ok(rejectMs < 100, `publish took ${rejectMs} ms to reject`)

      // Changes while down fail fast too, but are kept and applied on reconnect.
      await assert.rejects(transport.subscribe(['r4']), /redis unavailable/)
      await assert.rejects(transport.unsubscribe(['r3']), /redis unavailable/)
      await delay(300) // several failed reconnect attempts
      assert.equal(seen.length, 1, 'down is reported once, not once per attempt')
      assert.ok(failed > 0, 'publishes during the outage rejected')

      const restartAt = performance.now()
      await redis.start()
      const startedAt = performance.now()
      await eventually(() => seen.length === 2, 'status up', 2500)
      t.diagnostic(
        `up ${(performance.now() - startedAt).toFixed(0)} ms after redis answered` +
          ` (${(performance.now() - restartAt).toFixed(0)} ms after start())`,
      )
      assert.deepEqual(seen[1], { up: true })
      assert.deepEqual(transport.status, { up: true })

      await eventually(() => ['r1', 'r2', 'r4'].every((c) => has(c, 'at up')), 'publishes at up')
      // And Redis itself holds them, as a separate client sees it.
      const other = await otherClient(redis.url)
      for (const channel of ['r1', 'r2', 'r4', 'r3']) await other.publish(channel, 'back')
      await eventually(() => ['r1', 'r2', 'r4'].every((c) => has(c, 'back')), 'every channel back')
      assert.equal(has('r3', 'back'), false, 'r3 was dropped during the outage')
      assert.deepEqual(await numsub(other, ['r1', 'r2', 'r3', 'r4']), {
        r1: 1,
        r2: 1,
        r3: 0,
        r4: 1,
      })
      await transport.publish('r2', Buffer.from('after'))
      await eventually(() => has('r2', 'after'), 'own publish after recovery')
      clearInterval(traffic)
      clearInterval(churn)
      assert.equal(seen.length, 2, 'no second outage reported while churning')
      assert.deepEqual(leaked.slice(leakedBefore), [])
    })
  }

  test('close() during an outage does not hang, and reports nothing after', async (t) => {
    const redis = await redisServer()
    const transport = await transportFor({ url: redis.url })
    const seen = statuses(transport)
    await transport.subscribe(['r1'])
    await redis.stop()
    await eventually(() => seen.length === 1, 'status down')
    const started = performance.now()
    await within(transport.close(), 1000, 'close while down')
    const closeMs = performance.now() - started
    t.diagnostic(`closed in ${closeMs.toFixed(1)} ms while down`)
    // Nothing to QUIT politely: it destroys at once instead of waiting out the quit timeout.
    assert.ok(closeMs < 500, `close took ${closeMs} ms`)
    await redis.start()
    await delay(150)
    assert.equal(seen.length, 1)
    await assert.rejects(transport.subscribe(['r2']), /closed/)
  })
})
