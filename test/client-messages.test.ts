/** What the client delivers: plain and control frames, duplicates dropped, rooms, once and in order. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ClientErrorCode, type MessageData, type MessageMeta } from '../src/client/index.ts'
import { manualClock } from './fixtures/client-clock.ts'
import { clientKit, nextEvent, record } from './fixtures/client-kit.ts'
import { queue } from './fixtures/client-queue.ts'

const kit = clientKit()

/** Every message the client delivers to `message`, or to room `room`. */
function messages(client: ReturnType<typeof kit.client>, room?: string) {
  const delivered = queue<{ data: MessageData; rooms: readonly string[] }>(`message ${room ?? ''}`)
  const listener = (data: MessageData, meta: MessageMeta) =>
    delivered.push({ data, rooms: meta.rooms })
  if (room === undefined) client.on('message', listener)
  else client.on(room, listener)
  return delivered
}

describe('frames', () => {
  test('plain text and binary frames are messages; binary arrives as an ArrayBuffer', async () => {
    const server = await kit.server()
    const client = kit.client(server.url())
    const all = messages(client)
    const conn = await server.connections.next()
    conn.ws.send('hello')
    conn.ws.send(Buffer.from([1, 2, 3]))
    assert.deepEqual(await all.next(), { data: 'hello', rooms: [] })
    const binary = await all.next()
    assert.ok(binary.data instanceof ArrayBuffer)
    assert.deepEqual([...new Uint8Array(binary.data)], [1, 2, 3])
  })

  test('an escaped {"t":"msg"} frame delivers its body as is, 0x1E and all', async () => {
    const server = await kit.server()
    const client = kit.client(server.url())
    const all = messages(client)
    const conn = await server.connections.next()
    conn.control({ t: 'msg' }, '\u001e{"not":"control"}\nsecond line')
    conn.control({ t: 'msg', p: [['bin', 1, 'e']] }, Buffer.from([0x1e, 9]))
    assert.deepEqual(await all.next(), { data: '\u001e{"not":"control"}\nsecond line', rooms: [] })
    const binary = await all.next()
    assert.deepEqual([...new Uint8Array(binary.data as ArrayBuffer)], [0x1e, 9])
    assert.deepEqual(binary.rooms, ['bin'])
  })

  test('a server without the protocol: its first message opens the client, with no session', async () => {
    const server = await kit.server({ session: undefined })
    const client = kit.client(server.url())
    const events = record(client, 'open', 'message')
    const conn = await server.connections.next()
    conn.ws.send('plain')
    assert.deepEqual(await events.next(), {
      name: 'open',
      value: { recovered: false, sessionId: undefined, connectionId: undefined },
    })
    assert.deepEqual(await events.next(), { name: 'message', value: 'plain' })
  })

  test('a malformed control frame is an ERR_PROTOCOL error; an unknown one is skipped', async () => {
    const server = await kit.server()
    const client = kit.client(server.url())
    const events = record(client, 'error', 'message')
    const conn = await server.connections.next()
    conn.ws.send('\u001enot json\n')
    conn.control({ t: 'future-frame', x: 1 }, 'ignored')
    conn.ws.send('after')
    const error = (await events.next()).value as { code: string }
    assert.equal(error.code, ClientErrorCode.Protocol)
    assert.deepEqual(await events.next(), { name: 'message', value: 'after' })
  })
})

describe('rooms and duplicates', () => {
  test('a room listener gets the messages whose positions list its room', async () => {
    const server = await kit.server()
    const client = kit.client(server.url())
    const lobby = messages(client, 'lobby')
    const news = messages(client, 'news')
    const conn = await server.connections.next()
    conn.msg([['lobby', 1, 'e']], 'to lobby')
    conn.msg([['news', 1, 'e']], 'to news')
    conn.msg(
      [
        ['lobby', 2, 'e'],
        ['news', 2, 'e'],
      ],
      'to both',
    )
    assert.deepEqual(await lobby.next(), { data: 'to lobby', rooms: ['lobby'] })
    assert.deepEqual(await lobby.next(), { data: 'to both', rooms: ['lobby', 'news'] })
    assert.deepEqual(await news.next(), { data: 'to news', rooms: ['news'] })
    assert.deepEqual(await news.next(), { data: 'to both', rooms: ['lobby', 'news'] })
  })

  test('a room named like an event is reached through client.room(name)', async () => {
    const server = await kit.server()
    const client = kit.client(server.url())
    const delivered = queue<MessageData>('room "open"')
    const listener = (data: MessageData) => delivered.push(data)
    client.room('open').on(listener)
    const conn = await server.connections.next()
    conn.msg([['open', 1, 'e']], 'first')
    assert.equal(await delivered.next(), 'first')
    client.room('open').off(listener)
    conn.msg([['open', 2, 'e']], 'second')
    conn.ws.send('marker')
    const all = messages(client)
    assert.equal((await all.next()).data, 'second')
    assert.deepEqual(delivered.waiting, [])
  })

  test('replayed messages after a recovery are seen once, in order; a new epoch is new', async () => {
    const server = await kit.server()
    const clock = manualClock()
    const client = kit.client(server.url(), { timers: clock.timers })
    const lobby = messages(client, 'lobby')
    const first = await server.connections.next()
    first.control({ t: 'join', room: 'lobby', offset: 0, epoch: 'e1' })
    first.msg([['lobby', 1, 'e1']], 'one')
    first.msg([['lobby', 2, 'e1']], 'two')
    assert.equal((await lobby.next()).data, 'one')
    assert.equal((await lobby.next()).data, 'two')
    first.close(1012)
    await clock.waitFor()
    clock.fire()
    const second = await server.connections.next()
    // The server replays from an older offset than the client holds.
    second.msg([['lobby', 1, 'e1']], 'one')
    second.msg([['lobby', 2, 'e1']], 'two')
    second.msg([['lobby', 3, 'e1']], 'three')
    second.msg([['lobby', 1, 'e2']], 'one of a new stream')
    second.msg([['lobby', 1, 'e2']], 'one of a new stream')
    second.msg(
      [
        ['lobby', 1, 'e2'],
        ['other', 1, 'e2'],
      ],
      'new in one of its rooms',
    )
    assert.equal((await lobby.next()).data, 'three')
    assert.equal((await lobby.next()).data, 'one of a new stream')
    assert.equal((await lobby.next()).data, 'new in one of its rooms')
    second.ws.send('marker')
    const all = messages(client)
    assert.equal((await all.next()).data, 'marker')
    assert.deepEqual(lobby.waiting, [])
  })

  test('a session that was not recovered starts with no positions', async () => {
    const server = await kit.server({
      session: (_query, index) => ({ t: 'session', id: `s-${index}`, conn: 'c', recovered: false }),
    })
    const clock = manualClock()
    const client = kit.client(server.url(), { timers: clock.timers })
    const lobby = messages(client, 'lobby')
    const first = await server.connections.next()
    first.msg([['lobby', 5, 'e1']], 'five')
    await lobby.next()
    first.close(1012)
    await clock.waitFor()
    clock.fire()
    const second = await server.connections.next()
    assert.equal(second.query.get('roomcast_session'), 's-1')
    second.msg([['lobby', 5, 'e1']], 'five again, in a new session')
    assert.equal((await lobby.next()).data, 'five again, in a new session')
    second.close(1012)
    await clock.waitFor()
    clock.fire()
    const third = await server.connections.next()
    assert.equal(third.query.get('roomcast_session'), 's-2')
    assert.deepEqual(JSON.parse(third.query.get('roomcast_positions') ?? ''), { lobby: [5, 'e1'] })
  })
})

describe('offline buffer', () => {
  /** A client whose first connection is lost, waiting on the manual clock to reconnect. */
  async function disconnected(options: Parameters<typeof kit.client>[1] = {}) {
    const server = await kit.server()
    const clock = manualClock()
    const client = kit.client(server.url(), { timers: clock.timers, ...options })
    const events = record(client, 'open', 'reconnecting')
    await nextEvent(events, 'open')
    ;(await server.connections.next()).close(1012)
    await nextEvent(events, 'reconnecting')
    const reconnect = async () => {
      clock.fire()
      return server.connections.next()
    }
    return { client, clock, reconnect, events }
  }

  test('sends while disconnected are flushed in order on reconnect, before open listeners send', async () => {
    const { client, reconnect } = await disconnected()
    assert.equal(client.send('one'), true)
    assert.equal(client.json({ n: 2 }), true)
    assert.equal(client.send(Buffer.from('three')), true)
    client.on('open', () => client.send('from open'))
    const conn = await reconnect()
    assert.equal(await conn.received.next(), 'one')
    assert.equal(await conn.received.next(), '{"n":2}')
    assert.deepEqual(await conn.received.next(), Buffer.from('three'))
    assert.equal(await conn.received.next(), 'from open')
  })

  test('past buffer.size the oldest entries are dropped', async () => {
    const { client, reconnect } = await disconnected({ buffer: { size: 3 } })
    for (const n of [1, 2, 3, 4, 5]) client.send(`m${n}`)
    client.on('open', () => client.send('end'))
    const conn = await reconnect()
    const got = [await conn.received.next(), await conn.received.next(), await conn.received.next()]
    assert.deepEqual(got, ['m3', 'm4', 'm5'])
    assert.equal(await conn.received.next(), 'end')
  })

  test('entries older than buffer.ttl at flush are dropped', async () => {
    const { client, clock, reconnect } = await disconnected({ buffer: { ttl: 30_000 } })
    client.send('old')
    clock.advance(20_000)
    client.send('fresh')
    clock.advance(10_001)
    client.on('open', () => client.send('end'))
    const conn = await reconnect()
    assert.equal(await conn.received.next(), 'fresh')
    assert.equal(await conn.received.next(), 'end')
  })

  test('volatile sends are never buffered; buffer: false refuses every send while disconnected', async () => {
    const { client, reconnect } = await disconnected()
    assert.equal(client.send('volatile', { volatile: true }), false)
    assert.equal(client.json({ v: 1 }, { volatile: true }), false)
    client.on('open', () => client.send('end'))
    const conn = await reconnect()
    assert.equal(await conn.received.next(), 'end')

    const unbuffered = await disconnected({ buffer: false })
    assert.equal(unbuffered.client.send('dropped'), false)
  })

  test('volatile sends go out while open', async () => {
    const server = await kit.server()
    const client = kit.client(server.url())
    const events = record(client, 'open')
    await nextEvent(events, 'open')
    const conn = await server.connections.next()
    assert.equal(client.send('now', { volatile: true }), true)
    assert.equal(await conn.received.next(), 'now')
  })
})
