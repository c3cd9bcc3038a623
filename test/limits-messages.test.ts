/** Limits of the message layer over real sockets: rate, JSON shape, identity, abort on close, inactivity. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { WebSocketOptions, WSConnection } from '../src/index.ts'
import { assertStillOpen, closedOf } from './helpers/client.ts'
import { nextJson, routeErrorReply } from './helpers/json.ts'
import { recordingLogger } from './helpers/server.ts'
import { serverFixture } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const { open, serve } = serverFixture()

/** A route object at `/m` that records what reaches onMessage and answers `ok`. */
async function recordingRoute(options: WebSocketOptions = {}, route: Record<string, unknown> = {}) {
  const delivered: unknown[] = []
  const server = await serve(
    (wss) =>
      wss.route({
        pattern: '/m',
        onMessage: (conn, data) => {
          delivered.push(data)
          conn.send(`ok:${delivered.length}`)
        },
        ...route,
      }),
    options,
  )
  return { server, delivered, client: await open(server.url('/m')) }
}

const invalid = (reason: string) =>
  routeErrorReply('ERR_INVALID_MESSAGE', `Invalid message: ${reason}`)

describe('rateLimit', () => {
  test("'drop': one ERR_RATE_LIMITED per interval, extra messages never delivered, then flowing again", async () => {
    const { server, delivered, client } = await recordingRoute(
      {},
      { rateLimit: { messages: 5, interval: 300, onExceeded: 'drop' } },
    )
    const limited = routeErrorReply(
      'ERR_RATE_LIMITED',
      'Rate limit exceeded: at most 5 messages per 300 ms',
    )
    for (let i = 0; i < 12; i++) client.send(`m${i}`)
    for (let i = 1; i <= 5; i++) assert.equal(await client.next(), `ok:${i}`)
    assert.deepEqual(await nextJson(client), limited)
    await client.nothingWithin(60)
    assert.deepEqual(delivered, ['m0', 'm1', 'm2', 'm3', 'm4'])
    assert.equal(server.wss.getStats().messagesRateLimited, 7)

    await delay(320)
    for (let i = 0; i < 7; i++) client.send(`n${i}`)
    for (let i = 6; i <= 10; i++) assert.equal(await client.next(), `ok:${i}`)
    assert.deepEqual(await nextJson(client), limited)
    await client.nothingWithin(30)
    assert.deepEqual(delivered.slice(5), ['n0', 'n1', 'n2', 'n3', 'n4'])
    assert.equal(server.wss.getStats().messagesRateLimited, 9)
    await assertStillOpen(client)
  })

  test("'close' (server option, on a wss.on() route): closes with 1008", async () => {
    const delivered: string[] = []
    const server = await serve(
      (wss) => wss.on('/c', (conn) => void conn.on('message', (m) => void delivered.push(`${m}`))),
      { rateLimit: { messages: 3, interval: 1000, onExceeded: 'close' } },
    )
    const client = await open(server.url('/c'))
    for (let i = 0; i < 6; i++) client.send(`m${i}`)
    assert.deepEqual(await closedOf(client), { code: 1008, reason: 'Rate limit exceeded' })
    assert.deepEqual(delivered, ['m0', 'm1', 'm2'])
    assert.ok(server.wss.getStats().messagesRateLimited >= 1)
  })
})

describe('safe JSON', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)

  test('65 levels is ERR_INVALID_MESSAGE and the connection stays open; 64 is delivered', async () => {
    const { delivered, client } = await recordingRoute()
    client.send(nested(65))
    assert.deepEqual(await nextJson(client), invalid('nested deeper than 64 levels'))
    client.send(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`)
    assert.deepEqual(await nextJson(client), invalid('nested deeper than 64 levels'))
    const started = Date.now()
    client.send(nested(500_000))
    assert.deepEqual(await nextJson(client), invalid('nested deeper than 64 levels'))
    assert.ok(Date.now() - started < 1000, 'a huge nesting is refused quickly')

    client.send(nested(64))
    assert.equal(await client.next(), 'ok:1')
    let depth = 0
    for (let v = delivered[0]; Array.isArray(v); v = v[0]) depth++
    assert.equal(depth, 64)
    await assertStillOpen(client)
  })

  test('maxJsonDepth and maxJsonKeys server options; keys are counted across the whole value', async () => {
    const { delivered, client } = await recordingRoute({ maxJsonDepth: 3, maxJsonKeys: 5 })
    client.send('[[[1]]]')
    assert.equal(await client.next(), 'ok:1')
    client.send('[[[[1]]]]')
    assert.deepEqual(await nextJson(client), invalid('nested deeper than 3 levels'))
    client.send('{"a":{"b":1,"c":2},"d":[{"e":1}]}')
    assert.equal(await client.next(), 'ok:2')
    client.send('{"a":{"b":1,"c":2},"d":[{"e":1,"f":2}]}')
    assert.deepEqual(await nextJson(client), invalid('more than 5 keys'))
    client.send(`{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":0`).join(',')}}`)
    assert.deepEqual(await nextJson(client), invalid('more than 5 keys'))
    // Colons inside strings are not keys.
    client.send('{"a":"x:y:z:w:v:u"}')
    assert.equal(await client.next(), 'ok:3')
    assert.equal(delivered.length, 3)
  })

  test('__proto__, constructor and prototype keys, also \\u-escaped, never reach the application', async () => {
    const { delivered, client } = await recordingRoute()
    const attacks: Array<[string, string]> = [
      ['{"__proto__":{"polluted":true}}', '__proto__'],
      ['{"constructor":{"prototype":{"polluted":true}}}', 'constructor'],
      ['{"a":[{"b":{"prototype":{"polluted":true}}}]}', 'prototype'],
      ['{"\\u005f_proto__":{"polluted":true}}', '__proto__'],
      ['{"\\u0063onstructor":{"prototype":{"polluted":true}}}', 'constructor'],
      ['[{"x":1},{"__pro\\u0074o__":{"polluted":true}}]', '__proto__'],
    ]
    for (const [text, key] of attacks) {
      client.send(text)
      assert.deepEqual(await nextJson(client), invalid(`forbidden key "${key}"`), text)
    }
    // The same words as values, not keys, are fine.
    client.send('{"text":"__proto__ constructor prototype"}')
    assert.equal(await client.next(), 'ok:1')
    assert.deepEqual(delivered, [{ text: '__proto__ constructor prototype' }])
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
    await assertStillOpen(client)
  })

  test('on a controllers route the same attacks are ERR_INVALID_MESSAGE and reach no handler', async () => {
    let ran = 0
    const server = await serve((wss) => {
      wss.controllers({ type: 't', action: 'a', handler: () => void ran++ })
      wss.on('/ctl', () => {})
    })
    const client = await open(server.url('/ctl'))
    for (const text of [
      '{"type":"t","action":"a","data":{"__proto__":{"polluted":true}}}',
      `{"type":"t","action":"a","data":${nested(65)}}`,
    ]) {
      client.send(text)
      const reply = (await nextJson(client)) as { type: string; error: { code: string } }
      assert.equal(reply.type, 'error')
      assert.equal(reply.error.code, 'ERR_INVALID_MESSAGE')
    }
    assert.equal(ran, 0)
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  })
})

describe('identity', () => {
  async function usersServer() {
    return serve((wss) => wss.on('/u', () => {}), {
      verifyClient: (req) => {
        const user = new URL(req.url ?? '/', 'ws://x').searchParams.get('user')
        return user === null ? true : { userId: user, metadata: { plan: `${user}-plan` } }
      },
    })
  }

  test('verifyClient identities: broadcastToUsers reaches every connection of those users only', async () => {
    const server = await usersServer()
    const alice1 = await open(server.url('/u?user=alice'))
    const alice2 = await open(server.url('/u?user=alice'))
    const bob = await open(server.url('/u?user=bob'))
    const anonymous = await open(server.url('/u'))
    await eventually(() => server.wss.getConnectionCount() === 4, 'all four connected')

    assert.equal(server.wss.broadcastToUsers(['alice'], { hello: 'alice' }), 2)
    assert.deepEqual([await alice1.next(), await alice2.next()], Array(2).fill('{"hello":"alice"}'))
    await Promise.all([bob.nothingWithin(40), anonymous.nothingWithin(40)])

    assert.equal(server.wss.broadcastToUsers(['bob', 'nobody'], 'text for bob'), 1)
    assert.equal(await bob.next(), 'text for bob')
    assert.equal(server.wss.broadcastToUsers([], 'nobody'), 0)
    await Promise.all([alice1.nothingWithin(30), anonymous.nothingWithin(30)])
  })

  test('getUserConnections lists a user’s open connections with userId and metadata', async () => {
    const server = await usersServer()
    const alice1 = await open(server.url('/u?user=alice'))
    await open(server.url('/u?user=alice'))
    await open(server.url('/u?user=bob'))
    await eventually(() => server.wss.getConnectionCount() === 3, 'all three connected')

    const alices = server.wss.getUserConnections('alice')
    assert.equal(alices.length, 2)
    assert.notEqual(alices[0]?.id, alices[1]?.id)
    for (const conn of alices) {
      assert.equal(conn.userId, 'alice')
      assert.deepEqual(conn.metadata, { plan: 'alice-plan' })
    }
    assert.deepEqual(server.wss.getUserConnections('nobody'), [])

    alice1.close()
    await eventually(() => server.wss.getUserConnections('alice').length === 1, 'one alice left')
    assert.equal(server.wss.broadcastToUsers(['alice'], 'still here'), 1)
  })

  test('a route authenticate identity merges over verifyClient’s', async () => {
    const seen: WSConnection[] = []
    const server = await serve(
      (wss) =>
        wss.route({
          pattern: '/merge',
          authenticate: () => ({ metadata: { role: 'admin' } }),
          onConnect: (conn) => void seen.push(conn),
        }),
      { verifyClient: () => ({ userId: 'u9', metadata: { plan: 'pro', role: 'user' } }) },
    )
    await open(server.url('/merge'))
    await eventually(() => seen.length === 1, 'connected')
    assert.equal(seen[0]?.userId, 'u9')
    assert.deepEqual(seen[0]?.metadata, { plan: 'pro', role: 'admin' })
  })
})

describe('abort on close', () => {
  test('conn.signal is aborted when the connection closes', async () => {
    const conns: WSConnection[] = []
    const server = await serve((wss) => wss.on('/s', (conn) => void conns.push(conn)))
    const client = await open(server.url('/s'))
    await eventually(() => conns.length === 1, 'connected')
    const conn = conns[0] as WSConnection
    const { signal } = conn
    assert.equal(signal.aborted, false)
    const aborted = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve()),
    )
    client.close()
    await within(aborted, 2000, 'abort event')
    assert.equal(signal.aborted, true)
    assert.equal(conn.signal, signal)

    // A signal asked for only after the close is aborted already.
    const late = await open(server.url('/s'))
    await eventually(() => conns.length === 2, 'second connected')
    late.close()
    await eventually(() => server.wss.getConnectionCount() === 0, 'second closed')
    assert.equal(conns[1]?.signal.aborted, true)
  })

  test('a slow controller whose connection closed meanwhile: reply dropped and counted', async () => {
    let started = false
    let abortedAtEnd: boolean | undefined
    const server = await serve((wss) => {
      wss.controllers({
        type: 'job',
        action: 'run',
        handler: async (_conn, _data, ctx) => {
          started = true
          await delay(80)
          abortedAtEnd = ctx.signal.aborted
          return { done: true }
        },
      })
      wss.route({ pattern: '/job' })
    })
    const client = await open(server.url('/job'))
    client.send(JSON.stringify({ type: 'job', action: 'run', requestId: 1 }))
    await eventually(() => started, 'handler started')
    client.close()
    await eventually(() => server.wss.getConnectionCount() === 0, 'connection closed')
    await eventually(() => abortedAtEnd !== undefined, 'handler finished')

    assert.equal(abortedAtEnd, true)
    await eventually(() => server.wss.getStats().repliesDropped === 1, 'reply counted as dropped')
    assert.equal(server.wss.getStats().messagesOut, 0)
  })
})

describe('server-level inactivity', () => {
  test('inactivityTimeout closes a silent connection with 1001; a chatty one stays open', async () => {
    const server = await serve((wss) => wss.on('/i', () => {}), { inactivityTimeout: 100 })
    const chatty = await open(server.url('/i'))
    const silent = await open(server.url('/i'))
    const chatter = setInterval(() => chatty.send('.'), 20)
    try {
      assert.deepEqual(await closedOf(silent), { code: 1001, reason: 'Inactivity timeout' })
      await delay(120)
      await assertStillOpen(chatty)
      assert.equal(server.wss.getConnectionCount(), 1)
    } finally {
      clearInterval(chatter)
    }
  })

  test('disconnectInactiveClients (seed 004) closes with 1001 and, with log: true, warns', async () => {
    const logger = recordingLogger()
    const server = await serve((wss) => wss.on('/i', () => {}), {
      logger,
      disconnectInactiveClients: {
        enabled: true,
        inactiveTime: 80,
        intervalCheckTime: 20,
        log: true,
      },
    })
    const client = await open(server.url('/i'))
    await eventually(() => server.wss.getConnectionCount() === 1, 'connected')
    const id = server.wss.getConnections()[0]?.id
    const started = Date.now()

    assert.deepEqual(await closedOf(client), { code: 1001, reason: 'Inactivity timeout' })
    assert.ok(Date.now() - started >= 70, 'closed before inactiveTime')
    await eventually(() => logger.entries.length > 0, 'a warning logged')
    assert.deepEqual(logger.entries, [
      { level: 'warn', message: `roomcast: connection ${id} closed for inactivity`, details: [] },
    ])
  })

  test('disconnectInactiveClients with log: false warns nothing; enabled: false closes nothing', async () => {
    const quiet = recordingLogger()
    const server = await serve((wss) => wss.on('/i', () => {}), {
      logger: quiet,
      disconnectInactiveClients: { inactiveTime: 60, intervalCheckTime: 20 },
    })
    const client = await open(server.url('/i'))
    assert.equal((await closedOf(client)).code, 1001)
    await delay(20)
    assert.deepEqual(quiet.entries, [])

    const disabled = await serve((wss) => wss.on('/i', () => {}), {
      disconnectInactiveClients: { enabled: false, inactiveTime: 30, intervalCheckTime: 10 },
    })
    const kept = await open(disabled.url('/i'))
    await assertStillOpen(kept, 120)
  })

  test('a server shutdown (also 1001) is not logged as inactivity', async () => {
    const logger = recordingLogger()
    const server = await serve((wss) => wss.on('/i', () => {}), {
      logger,
      disconnectInactiveClients: { inactiveTime: 5000, log: true },
    })
    const client = await open(server.url('/i'))
    await eventually(() => server.wss.getConnectionCount() === 1, 'connected')
    await within(server.wss.close(), 3000, 'wss.close()')
    assert.equal((await closedOf(client)).code, 1001)
    assert.deepEqual(logger.entries, [])
  })
})
