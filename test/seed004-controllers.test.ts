/** Seed 004's controllers as the seed writes them, through real sockets, and the server face they call. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  pxlServer,
  type RoomcastServer,
  WebSocketServerBaseController,
  type WSConnection,
} from '../src/index.ts'
import AdminController from './fixtures/seed004/admin.controller.ts'
import ChatController from './fixtures/seed004/chat.controller.ts'
import UserController from './fixtures/seed004/user.controller.ts'
import UserChatController from './fixtures/seed004/user-chat.controller.ts'
import { connectionQueue } from './helpers/capture.ts'
import type { TestClient } from './helpers/client.ts'
import { identityFromQuery } from './helpers/identity.ts'
import { nextJson } from './helpers/json.ts'
import { assertSeedChat } from './helpers/seed004-chat.ts'
import { serverFixture } from './helpers/teardown.ts'
import { eventually } from './helpers/timeout.ts'

const { open, serve } = serverFixture()

const request = (client: TestClient, envelope: Record<string, unknown>) =>
  client.send(JSON.stringify(envelope))

/** A server on `/ws` with `routes` as controllers; each accepted connection is queued for the test. */
async function seedServer(routes: Parameters<RoomcastServer['controllers']>[0]) {
  const accepted = connectionQueue()
  const server = await serve((wss) => wss.controllers(routes), {
    path: '/ws',
    verifyClient: identityFromQuery,
    onConnection: (conn) => accepted.push(conn),
  })
  const join = async (query = '') => {
    const client = await open(server.url(`/ws${query}`))
    return { client, conn: await accepted.next() }
  }
  return { server, wss: server.wss, join }
}

describe("seed 004's ChatController", () => {
  test('send reaches everyone and acknowledges; typing reaches the others only', async () => {
    const { join } = await seedServer([
      { type: 'chat', action: 'send', controllerName: 'chat', controller: ChatController },
      { type: 'chat', action: 'typing', controllerName: 'chat', controller: ChatController },
    ])
    const alice = (await join()).client
    const bob = (await join()).client

    await assertSeedChat(alice, bob)
  })

  test('registered as { type, controller }: its arrow methods are the actions, webSocketServer is not', async () => {
    const { join } = await seedServer({ type: 'chat', controller: ChatController })
    const { client } = await join()
    request(client, { type: 'chat', action: 'typing', data: {}, requestId: 1 })
    assert.deepEqual(await nextJson(client), {
      type: 'chat',
      action: 'typing',
      requestId: 1,
      data: { success: true },
    })
    request(client, { type: 'chat', action: 'webSocketServer', requestId: 2 })
    assert.deepEqual(await nextJson(client), {
      type: 'error',
      action: 'webSocketServer',
      requestId: 2,
      error: { code: 'ERR_UNKNOWN_ACTION', message: 'Unknown type or action' },
    })
  })
})

describe("seed 004's UserController and AdminController", () => {
  test('updatePreferences stores the data in the connection metadata and acknowledges', async () => {
    const { wss, join } = await seedServer([
      { type: 'user', action: 'updatePreferences', controller: UserController },
    ])
    const { client, conn } = await join()
    const preferences = { theme: 'dark', notifications: true }
    request(client, { type: 'user', action: 'updatePreferences', data: preferences, requestId: 9 })
    assert.deepEqual(await nextJson(client), {
      type: 'user',
      action: 'updatePreferences',
      requestId: 9,
      data: { success: true },
    })
    assert.deepEqual(conn.metadata.preferences, preferences)
    assert.deepEqual(
      pxlServer(wss).clientManager.getClient({ clientId: conn.id })?.ws.metadata.preferences,
      preferences,
    )
  })

  test('broadcast is refused unless the user payload says admin, then reaches everyone', async () => {
    const { join } = await seedServer([
      { type: 'admin', action: 'broadcast', controller: AdminController },
    ])
    const guest = (await join()).client
    const member = (await join('?user=u1&role=member')).client
    const admin = (await join('?user=u2&role=admin')).client
    const notice = { type: 'notification', action: 'alert', data: { message: 'Maintenance' } }

    for (const client of [guest, member]) {
      request(client, { type: 'admin', action: 'broadcast', data: notice })
      assert.deepEqual(await nextJson(client), {
        type: 'admin',
        action: 'broadcast',
        data: { error: 'Unauthorized', code: 'FORBIDDEN' },
      })
    }
    request(admin, { type: 'admin', action: 'broadcast', data: notice, requestId: 'a' })
    for (const client of [guest, member, admin]) assert.deepEqual(await nextJson(client), notice)
    assert.deepEqual(await nextJson(admin), {
      type: 'admin',
      action: 'broadcast',
      requestId: 'a',
      data: { success: true },
    })
    await Promise.all([guest, member, admin].map((client) => client.nothingWithin(30)))
  })

  test('the user-data ChatController reads client.user: a guest is told to authenticate', async () => {
    const { join } = await seedServer([
      { type: 'chat', action: 'send', controller: UserChatController },
    ])
    const guest = (await join()).client
    const alice = (await join('?user=alice')).client
    request(guest, { type: 'chat', action: 'send', data: { text: 'hi' } })
    assert.deepEqual(await nextJson(guest), {
      type: 'chat',
      action: 'send',
      data: { error: 'Authentication required' },
    })
    request(alice, { type: 'chat', action: 'send', data: { text: 'hello' } })
    const message = { type: 'chat', action: 'message', data: { userId: 'alice', message: 'hello' } }
    assert.deepEqual(await nextJson(guest), message)
    assert.deepEqual(await nextJson(alice), message)
    assert.deepEqual(await nextJson(alice), {
      type: 'chat',
      action: 'send',
      data: { success: true },
    })
  })
})

describe('the router and WebSocketServerBaseController', () => {
  test('methods get (ws, clientId, data, ctx) with this.webSocketServer the server face', async () => {
    const calls: unknown[][] = []
    let face: unknown
    class Probe extends WebSocketServerBaseController {
      inspect = (
        ws: WSConnection,
        clientId: string,
        data: unknown,
        ctx: { requestId?: unknown },
      ) => {
        face = this.webSocketServer
        calls.push([ws.id, clientId, data, ctx.requestId])
        return 'seen'
      }
    }
    const { wss, join } = await seedServer([
      { type: 'probe', controller: Probe },
      // roomcast's own (conn, data, ctx) controllers keep their convention beside it.
      { type: 'own', action: 'echo', handler: (conn, data, ctx) => [conn.id, data, ctx.action] },
    ])
    const { client, conn } = await join()
    request(client, { type: 'probe', action: 'inspect', data: { n: 1 }, requestId: 'r' })
    assert.deepEqual(await nextJson(client), {
      type: 'probe',
      action: 'inspect',
      requestId: 'r',
      data: 'seen',
    })
    assert.deepEqual(calls, [[conn.id, conn.id, { n: 1 }, 'r']])
    assert.equal(face, pxlServer(wss))
    request(client, { type: 'own', action: 'echo', data: 5 })
    assert.deepEqual(await nextJson(client), {
      type: 'own',
      action: 'echo',
      data: [conn.id, 5, 'echo'],
    })
  })

  test('an instance registered as the controller keeps the seed convention', async () => {
    const { wss, join } = await seedServer([])
    wss.controllers({ type: 'user', controller: new UserController(wss) })
    const { client, conn } = await join()
    request(client, { type: 'user', action: 'updatePreferences', data: { lang: 'fr' } })
    assert.deepEqual(await nextJson(client), {
      type: 'user',
      action: 'updatePreferences',
      data: { success: true },
    })
    assert.deepEqual(conn.metadata.preferences, { lang: 'fr' })
  })

  test('the constructor takes the server, its face, or { webSocketServer }; nothing else', async () => {
    const { wss } = await seedServer([])
    const face = pxlServer(wss)
    assert.equal(pxlServer(wss), face, 'one face per server')
    for (const init of [wss, face, { webSocketServer: wss }, { webSocketServer: face }]) {
      assert.equal(new ChatController(init).webSocketServer, face)
    }
    const other = (await seedServer([])).wss
    assert.notEqual(new ChatController(other).webSocketServer, face)
    assert.throws(() => new ChatController({} as never), {
      name: 'TypeError',
      message: 'pxlServer(server): a roomcast server is required',
    })
    assert.throws(
      () => new ChatController({ webSocketServer: wss, redisInstance: {} } as never),
      /roomcast passes nothing else \(got redisInstance\)/,
    )
  })
})

describe("the server face's methods (seed 004's examples)", () => {
  test('broadcastToAllClients: excludeClientId, and a predicate on userData (metadata and userId)', async () => {
    const { wss, join } = await seedServer([])
    const guest = await join()
    const premium = await join('?user=p1')
    premium.conn.metadata.subscription = 'premium'
    const other = await join('?user=o1')
    const face = pxlServer(wss)
    const everyone = [guest, premium, other]

    assert.equal(
      face.broadcastToAllClients({ data: 'all but guest', excludeClientId: guest.conn.id }),
      2,
    )
    assert.equal(
      face.broadcastToAllClients({
        data: { type: 'offer' },
        predicate: ({ clientId, userData }) => {
          assert.equal(typeof clientId, 'string')
          return userData?.subscription === 'premium'
        },
      }),
      1,
    )
    face.broadcastToAllClients({
      data: 'signed in',
      predicate: ({ userData }) => !!userData?.userId,
    })
    assert.equal(await premium.client.next(), 'all but guest')
    assert.equal(await other.client.next(), 'all but guest')
    assert.deepEqual(await nextJson(premium.client), { type: 'offer' })
    assert.equal(await premium.client.next(), 'signed in')
    assert.equal(await other.client.next(), 'signed in')
    await Promise.all(everyone.map(({ client }) => client.nothingWithin(30)))
    assert.equal(premium.conn.metadata.userId, undefined, 'userData is a view, metadata unchanged')
  })

  test('joinRoom, rooms.get, getClient + sendClientMessage, broadcastToRoom, leaveRoom', async () => {
    const { wss, join } = await seedServer([])
    const a = await join('?user=123')
    const b = await join()
    const face = pxlServer(wss)
    face.joinRoom({
      ws: a.conn,
      userId: 123,
      username: 'alice',
      userType: 'member',
      roomName: 'general',
    })
    face.joinRoom({ ws: b.conn, roomName: 'general', userId: null, username: null })
    assert.deepEqual(a.conn.metadata, { username: 'alice', userType: 'member' })
    assert.deepEqual(b.conn.metadata, {})
    assert.equal(a.conn.userId, '123', 'joinRoom never changes the identity')
    assert.deepEqual(face.rooms.get('general'), new Set([a.conn.id, b.conn.id]))
    assert.equal(face.rooms.get('empty'), undefined)
    assert.deepEqual(
      [face.rooms.has('general'), face.rooms.size, face.rooms.keys()],
      [true, 1, ['general']],
    )

    // The seed's "Broadcasting to Rooms" loop.
    const roomClients = face.rooms.get('general')
    if (roomClients) {
      roomClients.forEach((clientId) => {
        const client = face.clientManager.getClient({ clientId })
        if (client?.ws) {
          face.sendClientMessage(client.ws, {
            type: 'chat',
            action: 'message',
            data: { text: 'Room-specific message' },
          })
        }
      })
    }
    const roomMessage = { type: 'chat', action: 'message', data: { text: 'Room-specific message' } }
    assert.deepEqual(await nextJson(a.client), roomMessage)
    assert.deepEqual(await nextJson(b.client), roomMessage)
    assert.equal(face.sendClientMessage(a.conn, 'plain text'), true)
    assert.equal(await a.client.next(), 'plain text')

    assert.equal(
      face.broadcastToRoom({ roomName: 'general', data: { n: 1 }, excludeClientId: a.conn.id }),
      1,
    )
    assert.deepEqual(await nextJson(b.client), { n: 1 })
    face.leaveRoom({ ws: b.conn, roomName: 'general' })
    assert.deepEqual(face.rooms.get('general'), new Set([a.conn.id]))
    assert.equal(face.broadcastToRoom({ roomName: 'general', data: 'only a' }), 1)
    assert.equal(await a.client.next(), 'only a')
    await b.client.nothingWithin(30)

    assert.throws(() => face.joinRoom({ ws: {} as WSConnection, roomName: 'x' }), {
      name: 'TypeError',
      message: /joinRoom\(\{ ws, roomName \}\): ws must be a roomcast connection/,
    })
    assert.throws(() => face.sendClientMessage(undefined as never, 'x'), TypeError)
    assert.throws(() => face.joinRoom({ ws: a.conn, roomName: '' }), { code: 'ERR_INVALID_ROOM' })
  })

  test('getClient: { ws, user: { userId, payload } }, user undefined without a userId; updateClient', async () => {
    const { wss, join } = await seedServer([])
    const admin = await join('?user=u9&role=admin')
    const guest = await join()
    const { clientManager } = pxlServer(wss)
    const client = clientManager.getClient({ clientId: admin.conn.id })
    assert.equal(client?.ws, admin.conn)
    assert.deepEqual(client?.user, { userId: 'u9', payload: { role: 'admin' } })
    assert.equal(client?.user?.payload, admin.conn.metadata)
    assert.deepEqual(clientManager.getClient({ clientId: guest.conn.id }), {
      ws: guest.conn,
      user: undefined,
    })
    assert.equal(clientManager.getClient({ clientId: 'nobody' }), undefined)

    assert.equal(
      clientManager.updateClient({ clientId: guest.conn.id, key: 'theme', data: 'dark' }),
      true,
    )
    assert.equal(guest.conn.metadata.theme, 'dark')
    assert.equal(clientManager.updateClient({ clientId: 'nobody', key: 'theme', data: 1 }), false)
    assert.throws(
      () => clientManager.updateClient({ clientId: guest.conn.id, key: '', data: 1 }),
      /key must be a non-empty string/,
    )
    guest.client.close()
    await eventually(
      () => clientManager.getClient({ clientId: guest.conn.id }) === undefined,
      'a closed connection is no client',
    )
  })

  test('sendMessageToAll, broadcastToUsers with numeric ids, broadcastToClient', async () => {
    const { wss, join } = await seedServer([])
    const u123 = await join('?user=123')
    const u456 = await join('?user=456')
    const guest = await join()
    const face = pxlServer(wss)
    const personal = { type: 'notification', action: 'personalAlert', data: { message: 'For you' } }
    assert.equal(face.broadcastToUsers({ userIds: [123, 456, 789], data: personal }), 2)
    assert.deepEqual(await nextJson(u123.client), personal)
    assert.deepEqual(await nextJson(u456.client), personal)
    assert.equal(face.broadcastToUsers({ userIds: ['456'], data: 'string id' }), 1)
    assert.equal(await u456.client.next(), 'string id')
    assert.throws(() => face.broadcastToUsers({ userIds: [Number.NaN], data: 1 }), TypeError)
    assert.throws(() => face.broadcastToUsers({ userIds: 'u1' as never, data: 1 }), TypeError)

    const privateMessage = { type: 'private', action: 'message', data: { text: 'Private message' } }
    assert.equal(face.broadcastToClient({ clientId: guest.conn.id, data: privateMessage }), 1)
    assert.deepEqual(await nextJson(guest.client), privateMessage)

    assert.equal(face.sendMessageToAll({ data: { type: 'system', action: 'ping' } }), 3)
    for (const { client } of [u123, u456, guest]) {
      assert.deepEqual(await nextJson(client), { type: 'system', action: 'ping' })
      await client.nothingWithin(20)
    }
    assert.throws(() => face.sendMessageToAll(undefined as never), /takes an options object/)
  })

  test("the core server takes seed 004's object forms too: broadcastToUsers({ userIds, data })", async () => {
    const { wss, join } = await seedServer([])
    const u123 = await join('?user=123')
    const u7 = await join('?user=7')
    assert.equal(wss.broadcastToUsers({ userIds: [123], data: { hello: 123 } }), 1)
    assert.deepEqual(await nextJson(u123.client), { hello: 123 })
    assert.equal(wss.broadcastToUsers(['7'], 'positional'), 1)
    assert.equal(await u7.client.next(), 'positional')
    // One meaning in both forms: numeric ids are user ids as strings; anything else is refused.
    assert.equal(wss.broadcastToUsers([7], 'numeric'), 1)
    assert.equal(await u7.client.next(), 'numeric')
    assert.throws(() => wss.broadcastToUsers([{}] as never, 'x'), /array of strings or numbers/)
    await u123.client.nothingWithin(20)
  })
})
