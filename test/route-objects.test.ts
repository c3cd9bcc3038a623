/** Route objects (seed 002) over real sockets: parsing, handlers, per-route options, liveness limits. */
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { describe, test } from 'node:test'
import WebSocket from 'ws'
import type { RoomcastServer, WSConnection } from '../src/index.ts'
import { ReplyError } from '../src/index.ts'
import { assertStillOpen, closedOf, refusedStatus, type TestClient } from './helpers/client.ts'
import { INTERNAL_ERROR_REPLY, nextJson, routeErrorReply } from './helpers/json.ts'
import { serverFixture } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const { open, serve } = serverFixture()

type Chat = { type: string; text?: string; room?: string; username?: string }

describe('onMessage data', () => {
  test('JSON text arrives parsed, other text as the string, binary frames as a Buffer', async () => {
    const received: unknown[] = []
    const server = await serve((wss) =>
      wss.route({ pattern: '/p', onMessage: (_conn, data) => void received.push(data) }),
    )
    const client = await open(server.url('/p'))
    for (const text of ['{"a":1,"b":[true,null]}', '[1,"x"]', '42', '"quoted"', 'hello', '{oops'])
      client.send(text)
    client.send(Buffer.from([1, 2, 3]))
    await eventually(() => received.length === 7, 'all 7 messages delivered')

    assert.deepEqual(received.slice(0, 6), [
      { a: 1, b: [true, null] },
      [1, 'x'],
      42,
      'quoted',
      'hello',
      '{oops',
    ])
    const binary = received[6]
    assert.ok(Buffer.isBuffer(binary))
    assert.deepEqual([...binary], [1, 2, 3])
  })

  test('transformRawData replaces parsing and sees whether the frame was binary', async () => {
    const received: unknown[] = []
    const server = await serve((wss) =>
      wss.route({
        pattern: '/t',
        transformRawData: (raw, isBinary) => ({
          raw: typeof raw === 'string' ? raw : raw.toString('hex'),
          isBinary,
        }),
        onMessage: (_conn, data) => void received.push(data),
      }),
    )
    const client = await open(server.url('/t'))
    client.send('{"a":1}')
    client.send(Buffer.from([0xca, 0xfe]))
    await eventually(() => received.length === 2, 'both messages delivered')

    assert.deepEqual(received, [
      { raw: '{"a":1}', isBinary: false },
      { raw: 'cafe', isBinary: true },
    ])
  })
})

describe('handlers', () => {
  test('onConnect gets the request; metadata it sets is seen by onMessage and onClose', async () => {
    const closes: unknown[] = []
    let request: IncomingMessage | undefined
    const server = await serve((wss) =>
      wss.route<{ text: string }>({
        pattern: '/meta',
        onConnect: async (conn, req) => {
          request = req
          // Messages wait for an async onConnect: the first one must see the metadata.
          await delay(30)
          conn.metadata.username = new URL(req.url ?? '/', 'ws://x').searchParams.get('username')
        },
        onMessage: (conn, data) =>
          void conn.json({ from: conn.metadata.username, text: data.text }),
        onClose: (conn) => void closes.push(conn.metadata.username),
      }),
    )
    const client = await open(server.url('/meta?username=alice'), { headers: { 'x-test': 'yes' } })
    client.send('{"text":"hi"}')

    assert.deepEqual(await nextJson(client), { from: 'alice', text: 'hi' })
    assert.equal(request?.headers['x-test'], 'yes')
    assert.equal(request?.url, '/meta?username=alice')
    client.close()
    await eventually(() => closes.length === 1, 'onClose ran')
    assert.deepEqual(closes, ['alice'])
  })

  test('onMessage throwing: the default error reply, and the connection keeps working', async () => {
    const server = await serve((wss) =>
      wss.route<string>({
        pattern: '/err',
        onMessage: async (conn, data) => {
          if (data === 'throw') throw new Error('db password is hunter2')
          if (data === 'reject') {
            await delay(1)
            throw new Error('async secret')
          }
          conn.send(`echo:${data}`)
        },
      }),
    )
    const client = await open(server.url('/err'))

    client.send('throw')
    const raw = await client.next()
    assert.equal(typeof raw, 'string')
    assert.deepEqual(JSON.parse(raw as string), INTERNAL_ERROR_REPLY)
    assert.doesNotMatch(raw as string, /hunter2/)
    client.send('reject')
    assert.deepEqual(await nextJson(client), INTERNAL_ERROR_REPLY)
    client.send('later')
    assert.equal(await client.next(), 'echo:later')
    await assertStillOpen(client)
  })

  test('errors that opt in (expose: true, ReplyError) show their code and message', async () => {
    const server = await serve((wss) =>
      wss.route<string>({
        pattern: '/exposed',
        onMessage: (_conn, data) => {
          if (data === 'expose') {
            throw Object.assign(new Error('Room is full'), { expose: true, code: 'ERR_FULL' })
          }
          throw new ReplyError('ERR_NOT_FOUND', 'No such room')
        },
      }),
    )
    const client = await open(server.url('/exposed'))
    client.send('expose')
    assert.deepEqual(await nextJson(client), routeErrorReply('ERR_FULL', 'Room is full'))
    client.send('reply-error')
    assert.deepEqual(await nextJson(client), routeErrorReply('ERR_NOT_FOUND', 'No such room'))
  })

  test('onError receives the error instead, and the client gets no reply', async () => {
    const errors: Array<{ id: string; message: string }> = []
    const server = await serve((wss) =>
      wss.route<string>({
        pattern: '/onerror',
        onMessage: (conn, data) => {
          if (data === 'throw') throw new Error('handled elsewhere')
          conn.send(`ok:${data}`)
        },
        onError: (conn, error) => void errors.push({ id: conn.id, message: error.message }),
      }),
    )
    const client = await open(server.url('/onerror'))
    client.send('throw')
    await eventually(() => errors.length === 1, 'onError called')
    await client.nothingWithin(50)
    const [conn] = server.wss.getConnections()
    assert.deepEqual(errors, [{ id: conn?.id, message: 'handled elsewhere' }])
    client.send('next')
    assert.equal(await client.next(), 'ok:next')
  })

  test('onClose: initiatedByClient is true when the client closes, false when the server does', async () => {
    const closes: Array<[number, string, boolean]> = []
    const server = await serve((wss) =>
      wss.route<string>({
        pattern: '/close',
        onMessage: (conn, data) => {
          if (data === 'close me') conn.close(4001, 'done')
        },
        onClose: (_conn, code, reason, byClient) => void closes.push([code, reason, byClient]),
      }),
    )
    const leaving = await open(server.url('/close'))
    leaving.close(4000, 'bye')
    await eventually(() => closes.length === 1, 'first onClose')
    assert.deepEqual(closes[0], [4000, 'bye', true])

    const closed = await open(server.url('/close'))
    closed.send('close me')
    assert.deepEqual(await closedOf(closed), { code: 4001, reason: 'done' })
    await eventually(() => closes.length === 2, 'second onClose')
    assert.deepEqual(closes[1], [4001, 'done', false])
  })
})

/** The next pong the client receives, as text; rejects after `ms`. */
function nextPong(ws: WebSocket, ms = 1000): Promise<string> {
  return within(
    new Promise((resolve) => ws.once('pong', (data: Buffer) => resolve(data.toString()))),
    ms,
    'pong',
  )
}

describe('ping and pong', () => {
  test('without onPing, pings are answered automatically with their data', async () => {
    const server = await serve((wss) => wss.route({ pattern: '/auto' }))
    const client = await open(server.url('/auto'))
    const pong = nextPong(client.ws)
    client.ws.ping('hello')
    assert.equal(await pong, 'hello')
  })

  test('with onPing, nothing answers unless the route calls conn.pong(data)', async () => {
    const pings: string[] = []
    const server = await serve((wss) =>
      wss.route({
        pattern: '/manual',
        onPing: (conn, data) => {
          pings.push(data.toString())
          if (data.toString() !== 'ignore') conn.pong(Buffer.concat([data, Buffer.from('!')]))
        },
      }),
    )
    const client = await open(server.url('/manual'))
    let pongs = 0
    client.ws.on('pong', () => pongs++)
    client.ws.ping('ignore')
    await eventually(() => pings.length === 1, 'onPing called')
    await delay(50)
    assert.equal(pongs, 0)

    const pong = nextPong(client.ws)
    client.ws.ping('x')
    assert.equal(await pong, 'x!')
    assert.deepEqual(pings, ['ignore', 'x'])
    assert.equal(pongs, 1)
  })

  test('onPong receives the pongs the client sends', async () => {
    const pongs: string[] = []
    const server = await serve((wss) =>
      wss.route({ pattern: '/pong', onPong: (_conn, data) => void pongs.push(data.toString()) }),
    )
    const client = await open(server.url('/pong'))
    client.ws.pong('unsolicited')
    await eventually(() => pongs.length === 1, 'onPong called')
    assert.deepEqual(pongs, ['unsolicited'])
  })
})

describe('per-route options', () => {
  test('defaultRoom is joined before onConnect runs', async () => {
    const roomsAtConnect: string[][] = []
    const server = await serve((wss) =>
      wss.route({
        pattern: '/lobby',
        defaultRoom: 'lobby',
        onConnect: (conn) => void roomsAtConnect.push(conn.getRooms()),
      }),
    )
    const a = await open(server.url('/lobby'))
    const b = await open(server.url('/lobby'))
    await eventually(() => roomsAtConnect.length === 2, 'both onConnect ran')

    assert.deepEqual(roomsAtConnect, [['lobby'], ['lobby']])
    assert.equal(server.wss.getRoomConnections('lobby').length, 2)
    assert.equal(server.wss.broadcastToRoom('lobby', 'to the lobby'), 2)
    assert.deepEqual([await a.next(), await b.next()], ['to the lobby', 'to the lobby'])
  })

  test('authenticate: false, a throw or a rejection is 401; an identity becomes userId and metadata', async () => {
    const seen: Array<{ userId: string | undefined; role: unknown }> = []
    const server = await serve((wss) => {
      wss.route({
        pattern: '/private',
        authenticate: (req) => {
          const token = new URL(req.url ?? '/', 'ws://x').searchParams.get('token')
          if (token === 'throw') throw new Error('token service down')
          if (token === 'reject') return Promise.reject(new Error('expired'))
          if (token === 'good') return { userId: 'u1', metadata: { role: 'admin' } }
          return false
        },
        onConnect: (conn) => void seen.push({ userId: conn.userId, role: conn.metadata.role }),
      })
      wss.route({ pattern: '/public' })
    })
    for (const token of ['bad', 'throw', 'reject']) {
      assert.equal(await refusedStatus(server.url(`/private?token=${token}`)), 401, token)
    }
    assert.equal(await refusedStatus(server.url('/private')), 401)
    await open(server.url('/private?token=good'))
    await open(server.url('/public'))
    await eventually(() => seen.length === 1, 'onConnect of the identified connection')

    assert.deepEqual(seen, [{ userId: 'u1', role: 'admin' }])
    assert.deepEqual(server.wss.getStats().handshakesRejected, { 401: 4 })
    assert.deepEqual(
      server.wss.getUserConnections('u1').map((c) => c.url),
      ['/private'],
    )
  })

  test('maxPayload: past the route limit closes with 1009; other routes keep the server limit', async () => {
    const sizes: number[] = []
    const server = await serve((wss) => {
      wss.route({
        pattern: '/small',
        maxPayload: 100,
        onMessage: (_c, d) => void sizes.push(len(d)),
      })
      wss.route({ pattern: '/big', onMessage: (_c, d) => void sizes.push(len(d)) })
    })
    const small = await open(server.url('/small'))
    small.send('x'.repeat(100))
    await eventually(() => sizes.length === 1, '100 bytes delivered')
    small.send('x'.repeat(101))
    assert.equal((await closedOf(small)).code, 1009)

    const big = await open(server.url('/big'))
    big.send('y'.repeat(5000))
    await eventually(() => sizes.length === 2, '5000 bytes delivered')
    assert.deepEqual(sizes, [100, 5000])
  })

  test('subprotocols: the route picks its first preference the client offers', async () => {
    const protocols: string[] = []
    const server = await serve((wss) =>
      wss.route({
        pattern: '/proto',
        subprotocols: ['chat.v2', 'chat.v1'],
        onConnect: (conn) => void protocols.push(conn.protocol),
      }),
    )
    const both = await open(server.url('/proto'), { protocols: ['chat.v1', 'chat.v2'] })
    const old = await open(server.url('/proto'), { protocols: ['chat.v1'] })
    await eventually(() => protocols.length === 2, 'both connected')

    assert.equal(both.ws.protocol, 'chat.v2')
    assert.equal(both.headers['sec-websocket-protocol'], 'chat.v2')
    assert.equal(old.ws.protocol, 'chat.v1')
    assert.deepEqual(protocols, ['chat.v2', 'chat.v1'])
  })
})

describe('per-route compression', () => {
  test('perMessageDeflate on one route negotiates there only, and messages round-trip', async () => {
    const server = await serve((wss) => {
      wss.route<string>({
        pattern: '/deflate',
        perMessageDeflate: { threshold: 0 },
        onMessage: (conn, data) => void conn.send(data.toUpperCase()),
      })
      wss.route({ pattern: '/plain' })
    })
    const compressed = await open(server.url('/deflate'))
    const plain = await open(server.url('/plain'))
    assert.match(String(compressed.headers['sec-websocket-extensions']), /^permessage-deflate/)
    assert.equal(plain.headers['sec-websocket-extensions'], undefined)
    compressed.send('squeeze me '.repeat(200))
    assert.equal(await compressed.next(), 'SQUEEZE ME '.repeat(200))
  })
})

function len(data: unknown): number {
  return typeof data === 'string' || Buffer.isBuffer(data) ? data.length : -1
}

describe('liveness limits of a route', () => {
  test('heartbeat: a client that never pongs is terminated after 3 missed pongs; one that does stays', async () => {
    const closes: Array<[number, boolean]> = []
    const server = await serve((wss) =>
      wss.route({
        pattern: '/hb',
        heartbeat: 30,
        onClose: (_conn, code, _reason, byClient) => void closes.push([code, byClient]),
      }),
    )
    const live = await open(server.url('/hb'))
    let livePings = 0
    live.ws.on('ping', () => livePings++)
    // A bare ws client, so its ping listener is in place before the first ping can arrive.
    const started = Date.now()
    const silent = new WebSocket(server.url('/hb'), { autoPong: false })
    let silentPings = 0
    silent.on('ping', () => silentPings++)
    const silentClosed = new Promise<number>((resolve) => silent.on('close', resolve))
    try {
      assert.equal(await within(silentClosed, 2000, 'silent client dropped'), 1006)
    } finally {
      silent.terminate()
    }
    const elapsed = Date.now() - started
    // Pinged at most once a sweep (30 ms): the 4th sweep finds the 3rd ping unanswered too.
    assert.ok(silentPings >= 3, `terminated after ${silentPings} pings`)
    assert.ok(elapsed >= 75, `terminated after ${elapsed} ms, before 3 intervals passed`)
    await eventually(() => closes.length === 1, 'onClose of the silent client')
    assert.deepEqual(closes, [[1006, false]])

    await eventually(() => livePings >= 6, 'the live client keeps being pinged', 2000)
    assert.equal(live.ws.readyState, WebSocket.OPEN)
    assert.equal(server.wss.getConnectionCount(), 1)
  })

  test('inactivityTimeout closes a silent connection with 1001; a chatty one stays open', async () => {
    const server = await serve((wss) => wss.route({ pattern: '/idle', inactivityTimeout: 100 }))
    const chatty = await open(server.url('/idle'))
    const silent = await open(server.url('/idle'))
    const started = Date.now()
    const chatter = setInterval(() => chatty.send('still here'), 20)
    try {
      assert.deepEqual(await closedOf(silent), { code: 1001, reason: 'Inactivity timeout' })
      const elapsed = Date.now() - started
      assert.ok(elapsed >= 90, `closed after ${elapsed} ms`)
      await delay(150)
      assert.equal(chatty.ws.readyState, WebSocket.OPEN)
    } finally {
      clearInterval(chatter)
    }
  })

  test('maxLifetime closes with 1000 even while the client is active', async () => {
    const server = await serve((wss) => wss.route({ pattern: '/life', maxLifetime: 100 }))
    const client = await open(server.url('/life'))
    const started = Date.now()
    const chatter = setInterval(() => client.send('busy'), 20)
    try {
      assert.deepEqual(await closedOf(client), { code: 1000, reason: 'Maximum lifetime reached' })
      assert.ok(Date.now() - started >= 90, 'closed before maxLifetime')
    } finally {
      clearInterval(chatter)
    }
  })
})

describe('seed 002 examples, as written', () => {
  /** Seed 002's chat application; `conn.send(object)` becomes `conn.json(object)`. */
  function chatRoute(wss: RoomcastServer): void {
    wss.route<Chat>({
      pattern: '/ws/chat',
      defaultRoom: 'general',
      heartbeat: 30000,
      onConnect: (conn, req) => {
        const url = new URL(req.url ?? '/', 'ws://localhost')
        conn.metadata.username = url.searchParams.get('username') ?? 'Guest'
        conn.json({ type: 'connected', id: conn.id })
        conn.broadcast(
          { type: 'user-joined', username: conn.metadata.username },
          { room: 'general', includeSelf: false },
        )
      },
      onMessage: (conn, data) => {
        switch (data.type) {
          case 'chat':
            conn.broadcast(
              {
                type: 'chat-message',
                from: conn.metadata.username,
                text: data.text,
                ts: Date.now(),
              },
              { room: 'general', includeSelf: true },
            )
            break
        }
      },
      onClose: (conn) => {
        conn.broadcast({ type: 'user-left', username: conn.metadata.username }, { room: 'general' })
      },
    })
  }

  test('chat: welcome, join notice to others, chat to everyone in general, leave notice', async () => {
    const server = await serve(chatRoute)
    const alice = await open(server.url('/ws/chat?username=alice'))
    const welcome = (await nextJson(alice)) as { type: string; id: string }
    assert.equal(welcome.type, 'connected')
    assert.equal(welcome.id, server.wss.getConnections()[0]?.id)

    const bob = await open(server.url('/ws/chat?username=bob'))
    assert.equal(((await nextJson(bob)) as { type: string }).type, 'connected')
    assert.deepEqual(await nextJson(alice), { type: 'user-joined', username: 'bob' })
    await bob.nothingWithin(30)

    alice.send(JSON.stringify({ type: 'chat', text: 'hi all' }))
    for (const client of [alice, bob]) {
      const message = (await nextJson(client)) as Record<string, unknown>
      assert.equal(typeof message.ts, 'number')
      assert.deepEqual(
        { ...message, ts: 0 },
        {
          type: 'chat-message',
          from: 'alice',
          text: 'hi all',
          ts: 0,
        },
      )
    }

    bob.close()
    assert.deepEqual(await nextJson(alice), { type: 'user-left', username: 'bob' })
  })

  test('rooms: joinRoom / leaveRoom and room broadcasts with and without the sender', async () => {
    const server = await serve((wss) =>
      wss.route<Chat>({
        pattern: '/ws/chat',
        onMessage: (conn, data) => {
          switch (data.type) {
            case 'join-room':
              conn.joinRoom(data.room as string)
              conn.broadcast(
                { type: 'user-joined', username: data.username, room: data.room },
                { room: data.room as string, includeSelf: false },
              )
              break
            case 'leave-room':
              conn.leaveRoom(data.room as string)
              break
            case 'message':
              conn.broadcast(
                { type: 'chat-message', from: data.username, text: data.text },
                { room: data.room as string, includeSelf: true },
              )
              break
          }
        },
      }),
    )
    const alice = await open(server.url('/ws/chat'))
    const bob = await open(server.url('/ws/chat'))
    const send = (client: TestClient, message: Chat) => client.send(JSON.stringify(message))

    send(alice, { type: 'join-room', room: 'r1', username: 'alice' })
    await eventually(() => server.wss.getRoomConnections('r1').length === 1, 'alice in r1')
    send(bob, { type: 'join-room', room: 'r1', username: 'bob' })
    assert.deepEqual(await nextJson(alice), { type: 'user-joined', username: 'bob', room: 'r1' })

    send(bob, { type: 'message', room: 'r1', username: 'bob', text: 'yo' })
    const message = { type: 'chat-message', from: 'bob', text: 'yo' }
    assert.deepEqual([await nextJson(alice), await nextJson(bob)], [message, message])

    send(alice, { type: 'leave-room', room: 'r1' })
    await eventually(() => server.wss.getRoomConnections('r1').length === 1, 'alice left r1')
    send(bob, { type: 'message', room: 'r1', username: 'bob', text: 'alone' })
    assert.deepEqual(await nextJson(bob), { ...message, text: 'alone' })
    await alice.nothingWithin(50)
    assert.deepEqual(
      server.wss.getConnections().map((c: WSConnection) => c.getRooms()),
      [[], ['r1']],
    )
  })
})
