/** Declarative `responses` of route objects (seed 002), over real sockets. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import type { ResponseRule, RoomcastServer, RouteDefinition } from '../src/index.ts'
import { assertStillOpen, connectInto, type TestClient } from './helpers/client.ts'
import { INTERNAL_ERROR_REPLY, nextJson, routeErrorReply } from './helpers/json.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { closeAll } from './helpers/teardown.ts'
import { delay, eventually } from './helpers/timeout.ts'

type Msg = { type?: string; action?: string; data?: unknown; text?: string; n?: number }

const servers: TestServer[] = []
const clients: TestClient[] = []
const open = connectInto(clients)

afterEach(() => closeAll({ clients, servers }))

/** A server with a route object at `/r` made of `rules` and the rest of `def`. */
async function serve(
  rules: Array<ResponseRule<Msg>>,
  def: Partial<RouteDefinition<Msg>> = {},
  setup?: (wss: RoomcastServer) => void,
): Promise<TestServer> {
  const server = await startServer({}, (wss) => {
    wss.route<Msg>({ pattern: '/r', responses: rules, ...def })
    setup?.(wss)
  })
  servers.push(server)
  return server
}

const is =
  (type: string) =>
  (_conn: unknown, msg: Msg): boolean =>
    msg.type === type

const send = (client: TestClient, message: Msg) => client.send(JSON.stringify(message))

describe('response forms', () => {
  test('a static value: objects as a JSON text frame, strings as they are', async () => {
    const server = await serve([
      { match: is('ping'), response: { type: 'pong' } },
      { match: is('hello'), response: 'hello yourself' },
    ])
    const client = await open(server.url('/r'))
    send(client, { type: 'ping' })
    assert.equal(await client.next(), '{"type":"pong"}')
    send(client, { type: 'hello' })
    assert.equal(await client.next(), 'hello yourself')
    send(client, { type: 'ping' })
    assert.equal(await client.next(), '{"type":"pong"}')
  })

  test('a function of the connection and the message', async () => {
    const server = await serve(
      [
        {
          match: is('echo'),
          response: (conn, msg) => ({ type: 'echo', data: msg.data, from: conn.metadata.name }),
        },
      ],
      {
        onConnect: (conn) => {
          conn.metadata.name = 'ann'
        },
      },
    )
    const client = await open(server.url('/r'))
    send(client, { type: 'echo', data: [1, { two: 2 }] })
    assert.deepEqual(await nextJson(client), { type: 'echo', data: [1, { two: 2 }], from: 'ann' })
  })

  test('an async function: its settled value is sent; undefined sends nothing', async () => {
    const server = await serve([
      {
        match: is('later'),
        response: async (_conn, msg) => {
          await delay(10)
          return { type: 'later', n: (msg.n ?? 0) + 1 }
        },
      },
      { match: is('quiet'), response: async () => undefined },
      { match: is('quiet-sync'), response: () => undefined },
    ])
    const client = await open(server.url('/r'))
    send(client, { type: 'later', n: 41 })
    assert.deepEqual(await nextJson(client), { type: 'later', n: 42 })
    send(client, { type: 'quiet' })
    send(client, { type: 'quiet-sync' })
    await client.nothingWithin(50)
  })

  test('broadcast to a room, with includeSelf true and false', async () => {
    const server = await serve(
      [
        {
          match: is('announce'),
          response: (_conn, msg) => ({ type: 'announcement', text: msg.text }),
          broadcast: { room: 'lobby', includeSelf: true },
        },
        {
          match: is('whisper'),
          response: (_conn, msg) => ({ type: 'whisper', text: msg.text }),
          broadcast: { room: 'lobby', includeSelf: false },
        },
        { match: is('shout'), response: 'SHOUT', broadcast: { room: 'lobby' } },
      ],
      { defaultRoom: 'lobby' },
      // Connected to the same server but not in the lobby: must receive nothing.
      (wss) => wss.route({ pattern: '/outside' }),
    )
    const a = await open(server.url('/r'))
    const b = await open(server.url('/r'))
    const outside = await open(server.url('/outside'))
    await eventually(() => server.wss.getRoomConnections('lobby').length === 2, 'both in lobby')

    send(a, { type: 'announce', text: 'hi' })
    const announcement = { type: 'announcement', text: 'hi' }
    assert.deepEqual([await nextJson(a), await nextJson(b)], [announcement, announcement])

    send(a, { type: 'whisper', text: 'psst' })
    assert.deepEqual(await nextJson(b), { type: 'whisper', text: 'psst' })
    send(b, { type: 'shout' })
    assert.equal(await a.next(), 'SHOUT')
    await Promise.all([a.nothingWithin(50), b.nothingWithin(50), outside.nothingWithin(50)])
  })
})

describe('seed 002 example, as written', () => {
  test('ping → pong, echo, and announce broadcast to the lobby', async () => {
    const server = await startServer({}, (wss) =>
      wss.route<Msg>({
        pattern: '/ws/echo',
        defaultRoom: 'lobby',
        responses: [
          {
            // Match by message type
            match: (_conn, msg) => msg.type === 'ping',
            response: { type: 'pong' },
          },
          {
            // Dynamic response via function
            match: (_conn, msg) => msg.type === 'echo',
            response: (_conn, msg) => ({ type: 'echo', data: msg.data }),
          },
          {
            // Broadcast to a room
            match: (_conn, msg) => msg.type === 'announce',
            response: (_conn, msg) => ({ type: 'announcement', text: msg.text }),
            broadcast: { room: 'lobby', includeSelf: true },
          },
        ],
      }),
    )
    servers.push(server)
    const a = await open(server.url('/ws/echo'))
    const b = await open(server.url('/ws/echo'))
    await eventually(() => server.wss.getRoomConnections('lobby').length === 2, 'both in lobby')
    send(a, { type: 'ping' })
    assert.deepEqual(await nextJson(a), { type: 'pong' })
    send(a, { type: 'echo', data: 'x' })
    assert.deepEqual(await nextJson(a), { type: 'echo', data: 'x' })
    send(b, { type: 'announce', text: 'hi' })
    const announcement = { type: 'announcement', text: 'hi' }
    assert.deepEqual([await nextJson(a), await nextJson(b)], [announcement, announcement])
  })
})

describe('which rule answers', () => {
  test('the first rule that matches wins; later ones are not even asked', async () => {
    const asked: string[] = []
    const server = await serve([
      {
        match: (_c, m) => {
          asked.push('first')
          return m.type === 'x'
        },
        response: 'first',
      },
      {
        match: (_c, m) => {
          asked.push('second')
          return m.type === 'x' || m.type === 'y'
        },
        response: 'second',
      },
    ])
    const client = await open(server.url('/r'))
    send(client, { type: 'x' })
    assert.equal(await client.next(), 'first')
    assert.deepEqual(asked, ['first'])
    send(client, { type: 'y' })
    assert.equal(await client.next(), 'second')
    await client.nothingWithin(30)
    assert.deepEqual(asked, ['first', 'first', 'second'])
  })

  test('no rule matches: onMessage gets the message; a matched one never reaches onMessage', async () => {
    const fallback: unknown[] = []
    const server = await serve([{ match: is('ping'), response: { type: 'pong' } }], {
      onMessage: (conn, data) => {
        fallback.push(data)
        conn.send('fallback')
      },
    })
    const client = await open(server.url('/r'))
    send(client, { type: 'other', n: 1 })
    assert.equal(await client.next(), 'fallback')
    client.send('plain text')
    assert.equal(await client.next(), 'fallback')
    send(client, { type: 'ping' })
    assert.equal(await client.next(), '{"type":"pong"}')
    await client.nothingWithin(30)
    assert.deepEqual(fallback, [{ type: 'other', n: 1 }, 'plain text'])
  })

  test('responses first, then controllers, then onMessage', async () => {
    const fallback: unknown[] = []
    const server = await serve(
      [{ match: (_c, m) => m.type === 'math' && m.n === 0, response: 'zero, by a rule' }],
      { onMessage: (_conn, data) => void fallback.push(data) },
      (wss) =>
        wss.controllers({
          type: 'math',
          action: 'double',
          handler: (_c, data) => Number(data) * 2,
        }),
    )
    const client = await open(server.url('/r'))
    client.send(JSON.stringify({ type: 'math', action: 'double', data: 4, n: 0 }))
    assert.equal(await client.next(), 'zero, by a rule')
    client.send(JSON.stringify({ type: 'math', action: 'double', data: 4 }))
    assert.deepEqual(await nextJson(client), { type: 'math', action: 'double', data: 8 })
    client.send(JSON.stringify({ type: 'math', action: 'halve', data: 4 }))
    await eventually(() => fallback.length === 1, 'onMessage got the unknown action')
    await client.nothingWithin(30)
    assert.deepEqual(fallback, [{ type: 'math', action: 'halve', data: 4 }])
  })

  test('no rule matches and no onMessage: nothing is sent', async () => {
    const server = await serve([{ match: is('ping'), response: 'pong' }])
    const client = await open(server.url('/r'))
    send(client, { type: 'nope' })
    await client.nothingWithin(50)
    await assertStillOpen(client)
  })
})

describe('failing rules', () => {
  const failing = (): Array<ResponseRule<Msg>> => [
    {
      match: (_c, m) => {
        if (m.type === 'bad-match') throw new Error('match secret')
        return false
      },
      response: 'never',
    },
    {
      match: is('bad-response'),
      response: () => {
        throw new Error('response secret')
      },
    },
    {
      match: is('bad-async'),
      response: async () => {
        await delay(5)
        throw new Error('async secret')
      },
    },
    {
      match: is('exposed'),
      response: () => {
        throw Object.assign(new Error('Not in this room'), { expose: true, code: 'ERR_ROOM' })
      },
    },
    { match: is('ping'), response: 'pong' },
  ]

  test('a throwing match or response, sync or async, is answered with the error reply', async () => {
    const server = await serve(failing())
    const client = await open(server.url('/r'))
    for (const type of ['bad-match', 'bad-response', 'bad-async']) {
      send(client, { type })
      const raw = await client.next()
      assert.equal(typeof raw, 'string')
      assert.deepEqual(JSON.parse(raw as string), INTERNAL_ERROR_REPLY, type)
      assert.doesNotMatch(raw as string, /secret/)
    }
    send(client, { type: 'exposed' })
    assert.deepEqual(await nextJson(client), routeErrorReply('ERR_ROOM', 'Not in this room'))
    send(client, { type: 'ping' })
    assert.equal(await client.next(), 'pong')
  })

  test('with onError, the failure goes there and the client gets nothing', async () => {
    const errors: string[] = []
    const server = await serve(failing(), {
      onError: (_conn, error) => void errors.push(error.message),
    })
    const client = await open(server.url('/r'))
    for (const type of ['bad-match', 'bad-response', 'bad-async']) send(client, { type })
    await eventually(() => errors.length === 3, 'onError for all three')
    await client.nothingWithin(30)
    assert.deepEqual(errors.sort(), ['async secret', 'match secret', 'response secret'])
  })

  test('an async response for a connection that closed meanwhile is dropped and counted', async () => {
    let settled = false
    const server = await serve([
      {
        match: is('slow'),
        response: async () => {
          await delay(60)
          settled = true
          return { type: 'too late' }
        },
      },
    ])
    const client = await open(server.url('/r'))
    send(client, { type: 'slow' })
    await eventually(() => server.wss.getStats().messagesIn === 1, 'message received')
    client.close()
    await eventually(() => server.wss.getConnectionCount() === 0, 'connection closed')
    await eventually(() => settled, 'response settled')
    await eventually(() => server.wss.getStats().repliesDropped === 1, 'reply dropped')
    assert.equal(server.wss.getStats().messagesOut, 0)
  })
})
