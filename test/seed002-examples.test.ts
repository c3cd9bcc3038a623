/** Seed 002's own examples through wss.route(), as the seed writes them: objects sent with conn.send(). */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { RouteDefinition } from '../src/index.ts'
import { basicSetup, chatApplication, gameServer } from './fixtures/seed002-examples.js'
import { connect, type TestClient } from './helpers/client.ts'
import { nextJson } from './helpers/json.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { within } from './helpers/timeout.ts'

const asRoute = (value: unknown) => value as RouteDefinition

describe('seed 002 Basic Setup', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({}, (wss) => wss.route(asRoute(basicSetup)))
  })
  after(() => server.close())

  test('onConnect sends an object as JSON; onMessage broadcasts the parsed message to everyone', async () => {
    const alice = await connect(server.url('/ws/chat'))
    assert.deepEqual(await nextJson(alice), { type: 'welcome', message: 'Welcome!' })
    const bob = await connect(server.url('/ws/chat'))
    assert.deepEqual(await nextJson(bob), { type: 'welcome', message: 'Welcome!' })
    alice.send(JSON.stringify({ type: 'join', username: 'Alice' }))
    assert.deepEqual(await nextJson(alice), { type: 'join', username: 'Alice' })
    assert.deepEqual(await nextJson(bob), { type: 'join', username: 'Alice' })
    alice.close()
    bob.close()
    assert.equal((await within(alice.closed)).code, 1005)
  })
})

describe('seed 002 Chat Application', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({}, (wss) => wss.route(asRoute(chatApplication)))
  })
  after(() => server.close())

  test('joins general, greets, announces joins, relays chat with the username, announces leaves', async () => {
    const alice = await connect(server.url('/ws/chat?username=Alice'))
    const connected = (await nextJson(alice)) as { type: string; id: string }
    assert.equal(connected.type, 'connected')
    assert.equal(typeof connected.id, 'string')
    const bob = await connect(server.url('/ws/chat?username=Bob'))
    assert.equal(((await nextJson(bob)) as { type: string }).type, 'connected')
    assert.deepEqual(await nextJson(alice), { type: 'user-joined', username: 'Bob' })

    bob.send(JSON.stringify({ type: 'chat', text: 'hi' }))
    for (const client of [alice, bob]) {
      const message = (await nextJson(client)) as Record<string, unknown>
      assert.equal(message.type, 'chat-message')
      assert.equal(message.from, 'Bob')
      assert.equal(message.text, 'hi')
      assert.equal(typeof message.ts, 'number')
    }
    bob.close()
    assert.deepEqual(await nextJson(alice), { type: 'user-left', username: 'Bob' })
    alice.close()
    await within(alice.closed)
  })

  test('a guest without a username is "Guest"', async () => {
    const watcher = await connect(server.url('/ws/chat?username=W'))
    await nextJson(watcher)
    const guest = await connect(server.url('/ws/chat'))
    await nextJson(guest)
    assert.deepEqual(await nextJson(watcher), { type: 'user-joined', username: 'Guest' })
    guest.close()
    watcher.close()
    await within(watcher.closed)
  })
})

describe('seed 002 Game Server', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({}, (wss) => wss.route(asRoute(gameServer)))
  })
  after(() => server.close())

  async function player(): Promise<TestClient> {
    const client = await connect(server.url('/ws/game'))
    assert.deepEqual(await nextJson(client), { type: 'joined-lobby' })
    return client
  }

  test('create, join and play: rooms move and game updates reach both players', async () => {
    const host = await player()
    const guest = await player()
    assert.deepEqual(server.wss.getRoomConnections('lobby').length, 2)

    host.send(JSON.stringify({ type: 'create-game' }))
    const created = (await nextJson(host)) as { type: string; gameId: string }
    assert.equal(created.type, 'game-created')
    assert.match(created.gameId, /^[0-9a-f-]{36}$/)
    assert.deepEqual(server.wss.getRoomConnections('lobby').length, 1)

    guest.send(JSON.stringify({ type: 'join-game', gameId: created.gameId }))
    const joined = (await nextJson(host)) as { type: string; playerId: string }
    assert.equal(joined.type, 'player-joined')
    assert.equal(server.wss.getRoomConnections(created.gameId).length, 2)
    assert.equal(server.wss.getRooms().includes('lobby'), false)

    guest.send(JSON.stringify({ type: 'game-action', action: 'move' }))
    for (const client of [host, guest]) {
      const update = (await nextJson(client)) as { type: string; action: string; playerId: string }
      assert.equal(update.type, 'game-update')
      assert.equal(update.action, 'move')
      assert.equal(update.playerId, joined.playerId)
    }
    host.close()
    guest.close()
    await within(guest.closed)
  })
})

describe('send() on route objects and on wss.on() routes', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({}, (wss) => {
      wss.route({
        pattern: '/object',
        onConnect: (conn) => {
          conn.send([1, 'two', { three: 3 }])
          conn.send('text stays text')
          conn.send(Buffer.from([1, 2, 3]))
        },
      })
      wss.on('/strict', (conn) => {
        try {
          conn.send({ not: 'allowed' } as unknown as string)
        } catch (error) {
          conn.send(`refused: ${(error as { code?: string }).code}`)
        }
      })
    })
  })
  after(() => server.close())

  test('a route object sends arrays and objects as JSON, strings and bytes as they are', async () => {
    const client = await connect(server.url('/object'))
    assert.equal(await client.next(), '[1,"two",{"three":3}]')
    assert.equal(await client.next(), 'text stays text')
    assert.deepEqual(await client.next(), Buffer.from([1, 2, 3]))
    client.close()
    await within(client.closed)
  })

  test("a wss.on() route keeps seed 000's strict send(): objects throw ERR_INVALID_PAYLOAD", async () => {
    const client = await connect(server.url('/strict'))
    assert.equal(await client.next(), 'refused: ERR_INVALID_PAYLOAD')
    client.close()
    await within(client.closed)
  })
})
