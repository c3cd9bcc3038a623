/** Room history, join with history, session recovery and offline queues on the memory adapter. */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { ClusterAdapter, createInProcessBus, createWebSocket } from '../src/index.ts'
import { connect, type TestClient } from './helpers/client.ts'
import { control, positionsParam } from './helpers/protocol.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { delay } from './helpers/timeout.ts'

let server: TestServer | undefined
const clients: TestClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate()
  await server?.close()
  server = undefined
})

async function open(path: string): Promise<TestClient> {
  const client = await connect((server as TestServer).url(path))
  clients.push(client)
  return client
}

describe('room history', () => {
  it('a late joiner gets the last n kept messages first, then live ones', async () => {
    server = await startServer({ history: { size: 10, ttl: 60_000 } }, (wss) => {
      wss.on('/room', (conn) => conn.join('lobby', { history: Number(conn.query.get('n') ?? 0) }))
    })
    await open('/room')
    await delay(20)
    for (let i = 1; i <= 5; i++) server.wss.to('lobby').send(`m${i}`)
    const late = await open('/room?n=3')
    assert.deepEqual([await late.next(), await late.next(), await late.next()], ['m3', 'm4', 'm5'])
    server.wss.to('lobby').send('m6')
    assert.equal(await late.next(), 'm6')
  })

  it('history comes before every live message, kept or not (volatile, filtered, to everyone)', async () => {
    server = await startServer({ history: { size: 10, ttl: 60_000, rooms: 'lobby' } }, (wss) => {
      wss.on('/room', (conn) => {
        conn.join('lobby', { history: 5 })
        wss.to('lobby').volatile.send('live-volatile')
        wss
          .to('lobby')
          .filter(() => true)
          .send('live-filter')
        wss.broadcast('live-all')
        wss.to('lobby').send('live-kept')
      })
    })
    server.wss.to('lobby').send('old1')
    server.wss.to('lobby').send('old2')
    const late = await open('/room')
    const got = []
    for (let i = 0; i < 6; i++) got.push(await late.next())
    // live-kept was kept before the history was read, so it comes with the history, once.
    assert.deepEqual(got, ['old1', 'old2', 'live-kept', 'live-volatile', 'live-filter', 'live-all'])
    await late.nothingWithin(50)
  })

  it('join() and history() refuse what they do not know, with ERR_INVALID_OPTION', async () => {
    const errors: unknown[] = []
    server = await startServer({ history: { size: 10, ttl: 60_000, rooms: 'lobby' } }, (wss) => {
      wss.on('/room', (conn) => {
        for (const attempt of [
          () => conn.join('lobby', { histroy: 3 } as never),
          () => conn.join('lobby', { history: -1 }),
          () => conn.join('other', { history: 5 }),
        ]) {
          try {
            attempt()
          } catch (error) {
            errors.push((error as { code?: string; message: string }).message)
          }
        }
      })
    })
    await open('/room')
    await delay(30)
    assert.equal(errors.length, 3)
    assert.match(String(errors[0]), /Unknown option "histroy": did you mean "history"\?/)
    assert.match(String(errors[1]), /Invalid option "join.history"/)
    assert.match(String(errors[2]), /join\(\): room "other" keeps no history/)
    await assert.rejects(server.wss.history('lobby', { limt: 3 } as never), /Unknown option "limt"/)
    await assert.rejects(server.wss.history('lobby', { limit: 0 }), { code: 'ERR_INVALID_OPTION' })
    await assert.rejects(server.wss.history('lobby', { after: -1 }), { code: 'ERR_INVALID_OPTION' })
    await server.close()
    server = await startServer({})
    await assert.rejects(server.wss.history('lobby'), /history is off: set the `history` option/)
  })

  it('plain clients receive exactly the bytes they would without history', async () => {
    server = await startServer({ history: { size: 10, ttl: 60_000 } }, (wss) => {
      wss.on('/room', (conn) => conn.join('lobby'))
    })
    const plain = await open('/room')
    await delay(20)
    server.wss.to('lobby').send('\u001ehello')
    server.wss.to('lobby').send(Buffer.from([1, 2, 3]))
    assert.equal(await plain.next(), '\u001ehello')
    assert.deepEqual(await plain.next(), Buffer.from([1, 2, 3]))
  })

  it('wss.history() reads a room, after an offset or the newest; the size and ttl hold', async () => {
    server = await startServer({ history: { size: 3, ttl: 200, rooms: 'chat:*' } })
    for (let i = 1; i <= 5; i++) server.wss.to('chat:a').send(`m${i}`)
    server.wss.to('other').send('not kept')
    const all = await server.wss.history('chat:a')
    assert.deepEqual(
      all.messages.map((m) => [m.offset, m.data]),
      [
        [3, 'm3'],
        [4, 'm4'],
        [5, 'm5'],
      ],
    )
    assert.equal(all.head, 5)
    const after = await server.wss.history('chat:a', { after: 3, limit: 1 })
    assert.deepEqual(
      after.messages.map((m) => m.data),
      ['m4'],
    )
    await assert.rejects(server.wss.history('other'), { code: 'ERR_INVALID_OPTION' })
    await delay(250)
    assert.deepEqual((await server.wss.history('chat:a')).messages, [])
  })

  it('a cluster bus without storage refuses history, recovery and offline queues', () => {
    const bus = createInProcessBus()
    for (const option of [
      { history: { size: 1, ttl: 1 } },
      { recovery: { maxDisconnection: 1 } },
      { offlineQueue: { size: 1, ttl: 1 } },
    ]) {
      const adapter = new ClusterAdapter({ transport: bus.transport() })
      assert.throws(() => createWebSocket({ adapter, ...option }), {
        code: 'ERR_INVALID_OPTION',
        message:
          /the adapter keeps no history, sessions or queues; use the memory adapter or roomcast\/redis/,
      })
    }
  })

  it('refuses history options it does not know, and volatile broadcasts are not kept', async () => {
    await assert.rejects(
      startServer({ history: { size: 3, ttl: 1000, room: 'x' } as never }),
      /Unknown option "history.room": did you mean "rooms"\?/,
    )
    server = await startServer({ history: { size: 3, ttl: 60_000 } })
    server.wss.to('a').volatile.send('gone')
    assert.equal((await server.wss.history('a')).messages.length, 0)
  })
})

describe('session recovery (memory adapter)', () => {
  const options = { history: { size: 100, ttl: 60_000 }, recovery: { maxDisconnection: 5000 } }

  it('a client that comes back gets its rooms and every missed message, once, in order', async () => {
    const seen: boolean[] = []
    server = await startServer(options, (wss) => {
      wss.on('/app', (conn) => {
        seen.push(conn.recovered)
        if (!conn.recovered) {
          conn.join('news')
          conn.metadata.name = 'ada'
        }
      })
    })
    const first = await open('/app?roomcast=1')
    const session = control(await first.next())
    assert.equal(session?.header.t, 'session')
    assert.equal(session?.header.recovered, false)
    const join = control(await first.next())
    assert.deepEqual(join?.header, {
      t: 'join',
      room: 'news',
      offset: 0,
      epoch: join?.header.epoch,
    })
    const epoch = join?.header.epoch as string
    server.wss.to('news').send('one')
    const one = control(await first.next())
    assert.deepEqual(one?.header, { t: 'msg', p: [['news', 1, epoch]] })
    assert.equal(one?.body, 'one')
    first.ws.terminate()
    await delay(50)
    server.wss.to('news').send('two')
    server.wss.to('news').send('three')
    const sid = session?.header.id as string
    const again = await open(
      `/app?roomcast=1&roomcast_session=${sid}&roomcast_positions=${positionsParam({ news: [1, epoch] })}`,
    )
    const resumed = control(await again.next())
    assert.equal(resumed?.header.recovered, true)
    const bodies = [control(await again.next()), control(await again.next())]
    assert.deepEqual(
      bodies.map((c) => c?.body),
      ['two', 'three'],
    )
    assert.equal(control(await again.next())?.header.t, 'join')
    server.wss.to('news').send('four')
    assert.equal(control(await again.next())?.body, 'four')
    await again.nothingWithin(50)
    assert.deepEqual(seen, [false, true])
    const [member] = server.wss.getRoomConnections('news')
    assert.equal(member?.metadata.name, 'ada')
  })

  it('is never partial: a trimmed stream, a changed epoch or an unknown session start fresh', async () => {
    server = await startServer({ ...options, history: { size: 2, ttl: 60_000 } }, (wss) => {
      wss.on('/app', (conn) => {
        if (!conn.recovered) conn.join('news')
      })
    })
    const first = await open('/app?roomcast=1')
    const sid = control(await first.next())?.header.id as string
    const epoch = control(await first.next())?.header.epoch as string
    first.ws.terminate()
    await delay(50)
    for (const text of ['a', 'b', 'c']) server.wss.to('news').send(text)
    const trimmed = await open(
      `/app?roomcast=1&roomcast_session=${sid}&roomcast_positions=${positionsParam({ news: [0, epoch] })}`,
    )
    assert.equal(control(await trimmed.next())?.header.recovered, false)
    // Fresh: the handler joined again, and only the join baseline comes, no replay.
    const baseline = control(await trimmed.next())
    assert.deepEqual(baseline?.header, { t: 'join', room: 'news', offset: 3, epoch })
    await trimmed.nothingWithin(50)
    const unknown = await open('/app?roomcast=1&roomcast_session=nope')
    assert.equal(control(await unknown.next())?.header.recovered, false)
  })

  it('a client that closed on purpose (1000) leaves no session behind', async () => {
    server = await startServer(options, (wss) => wss.on('/app', (conn) => conn.join('news')))
    const first = await open('/app?roomcast=1')
    const sid = control(await first.next())?.header.id as string
    first.close(1000)
    await first.closed
    await delay(30)
    const again = await open(`/app?roomcast=1&roomcast_session=${sid}`)
    assert.equal(control(await again.next())?.header.recovered, false)
  })
})

describe('offline queues (memory adapter)', () => {
  it('queues messages to a user with no connection and delivers them in order on connect', async () => {
    server = await startServer(
      {
        offlineQueue: { size: 2, ttl: 60_000 },
        verifyClient: (req) => ({
          userId: new URL(req.url ?? '/', 'http://x').searchParams.get('u') ?? 'anon',
        }),
      },
      (wss) => wss.on('/inbox', () => {}),
    )
    server.wss.broadcastToUsers(['bob'], 'first')
    server.wss.broadcastToUsers(['bob'], 'second')
    server.wss.broadcastToUsers(['bob'], 'third')
    const bob = await open('/inbox?u=bob')
    assert.deepEqual([await bob.next(), await bob.next()], ['second', 'third'])
    await bob.nothingWithin(50)
    server.wss.broadcastToUsers(['bob'], 'live')
    assert.equal(await bob.next(), 'live')
    const again = await open('/inbox?u=bob')
    await again.nothingWithin(50)
  })
})
