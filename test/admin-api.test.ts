/** roomcast/admin's JSON API: the overview's values, disconnects, test broadcasts, and mounting in frameworks. */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, test } from 'node:test'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { ADMIN_CLOSE_CODE, type AdminOverview, adminHandler } from '../src/admin.ts'
import { MemoryAdapter } from '../src/index.ts'
import { type AdminServer, bearer, call, postHeaders, startAdmin } from './helpers/admin.ts'
import { assertStillOpen, closedOf } from './helpers/client.ts'
import { delay, eventually } from './helpers/timeout.ts'

const opened: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const server of opened.splice(0).reverse()) await server.close()
})
async function admin(...args: Parameters<typeof startAdmin>): Promise<AdminServer> {
  const server = await startAdmin(...args)
  opened.push(server)
  return server
}

async function overview(port: number, path = '/admin'): Promise<AdminOverview> {
  const response = await call(port, { path: `${path}/api/overview`, headers: bearer })
  assert.equal(response.status, 200, response.text)
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8')
  assert.equal(response.headers['cache-control'], 'no-store')
  return response.json() as AdminOverview
}

const post = (port: number, action: string, body: object) =>
  call(port, { method: 'POST', path: `/admin/api/${action}`, headers: postHeaders, body })

describe('overview', () => {
  test('figures, the node, rooms with members and connections, sorted', async () => {
    const server = await admin()
    await server.open({ user: 'alice', rooms: ['lobby', 'games'] })
    await server.open({ user: 'alice', rooms: ['lobby'] })
    await server.open({ user: 'bob', rooms: ['lobby'] })
    await server.open({ rooms: ['<b>x</b>'] })
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1)
    const connections = server.wss
      .getConnections()
      .map((conn) => ({ id: conn.id, userId: conn.userId, rooms: conn.getRooms().sort() }))
    const view = await overview(server.port)
    assert.deepEqual(view.figures, {
      connections: 4,
      rooms: 3,
      users: 2,
      messagesInPerSecond: null,
      messagesOutPerSecond: null,
      messagesDropped: 0,
      closedForBackpressure: 0,
      nodes: 1,
      nodesOk: 1,
    })
    const [node] = view.nodes
    assert.deepEqual(node, {
      nodeId: server.wss.nodeId,
      self: true,
      status: 'ok',
      closing: false,
      connections: 4,
      rooms: 3,
      messagesIn: 0,
      messagesOut: 4,
      messagesInPerSecond: null,
      messagesOutPerSecond: null,
      messagesDropped: 0,
      closedForBackpressure: 0,
    })
    const users = (name: string) => connections.filter((c) => c.userId === name).sort(byId)
    const expected = [...users('alice'), ...users('bob'), ...connections.filter((c) => !c.userId)]
    assert.deepEqual(
      view.connections,
      expected.map(({ id, userId, rooms }) => ({
        id,
        nodeId: server.wss.nodeId,
        ...(userId ? { userId } : {}),
        rooms,
      })),
    )
    assert.deepEqual(
      view.rooms.map((room) => [room.name, room.connections, room.members.map((m) => m.userId)]),
      [
        ['<b>x</b>', 1, [undefined]],
        ['games', 1, ['alice']],
        ['lobby', 3, ['alice', 'alice', 'bob']],
      ],
    )
    assert.equal(view.rooms[1]?.members[0]?.id, server.wss.getRoomConnections('games')[0]?.id)
    assert.deepEqual([view.truncated, view.partial, view.errors], [false, false, []])
  })

  test('messages/s in and out come from the counters’ deltas once half a refresh has passed', async () => {
    const server = await admin({ refreshInterval: 100 })
    const client = await server.open()
    const first = await overview(server.port)
    assert.equal(first.figures.messagesInPerSecond, null)
    const before = server.wss.getStats()
    for (let i = 0; i < 10; i++) server.wss.getConnections()[0]?.json({ i })
    for (let i = 0; i < 10; i++) client.send(`m${i}`)
    await eventually(() => server.wss.getStats().messagesIn === before.messagesIn + 10, '10 in')
    await delay(60)
    const second = await overview(server.port)
    const { messagesInPerSecond, messagesOutPerSecond } = second.figures
    assert.ok(messagesInPerSecond !== null && messagesInPerSecond > 0, `in: ${messagesInPerSecond}`)
    assert.ok(messagesInPerSecond <= (10 * 1000) / 50, `in: ${messagesInPerSecond}`)
    assert.ok(
      messagesOutPerSecond !== null && messagesOutPerSecond > 0,
      `out: ${messagesOutPerSecond}`,
    )
    assert.ok(messagesOutPerSecond <= (10 * 1000) / 50, `out: ${messagesOutPerSecond}`)
    assert.equal(second.nodes[0]?.messagesIn, before.messagesIn + 10)
    assert.equal(second.nodes[0]?.messagesInPerSecond, messagesInPerSecond)
  })

  test('listLimit cuts the lists, never the figures', async () => {
    const server = await admin({ listLimit: 2 })
    for (const user of ['a', 'b', 'c']) await server.open({ user, rooms: ['one', 'two', 'three'] })
    const view = await overview(server.port)
    assert.deepEqual([view.figures.connections, view.figures.rooms, view.figures.users], [3, 3, 3])
    assert.deepEqual(
      view.connections.map((conn) => conn.userId),
      ['a', 'b'],
    )
    assert.deepEqual(
      view.rooms.map((room) => [room.name, room.connections, room.members.length]),
      [
        ['one', 3, 2],
        ['three', 3, 2],
      ],
    )
    assert.equal(view.truncated, true)
  })
})

test('a query that fails is a 500 with its reason', async () => {
  class FailingAdapter extends MemoryAdapter {
    override request(): Promise<never> {
      return Promise.reject(new Error('store unreachable'))
    }
  }
  const server = await admin({}, { adapter: new FailingAdapter() })
  const response = await call(server.port, { path: '/admin/api/overview', headers: bearer })
  assert.deepEqual([response.status, response.json()], [500, { error: 'store unreachable' }])
})

describe('actions', () => {
  test(`disconnect by connection id closes that client with ${ADMIN_CLOSE_CODE}, or the code given`, async () => {
    const server = await admin()
    const target = await server.open({ user: 'alice' })
    const other = await server.open({ user: 'alice' })
    const id = server.wss.getConnections()[0]?.id as string
    const response = await post(server.port, 'disconnect', { id })
    assert.equal(response.status, 200)
    assert.deepEqual(response.json(), { closed: 1, errors: [], partial: false })
    assert.deepEqual(await closedOf(target), {
      code: 1008,
      reason: 'Disconnected by an administrator',
    })
    await assertStillOpen(other)
    const gone = await post(server.port, 'disconnect', { id })
    assert.deepEqual(gone.json(), { closed: 0, errors: [], partial: false })

    const custom = await server.open()
    const customId = server.wss.getConnections().find((c) => c.userId === undefined)?.id as string
    const reason = 'é'.repeat(100)
    await post(server.port, 'disconnect', { id: customId, code: 4000, reason })
    const closed = await closedOf(custom)
    assert.equal(closed.code, 4000)
    assert.equal(closed.reason, 'é'.repeat(61), 'cut to 123 bytes')
  })

  test('disconnect a user closes each of their connections, no one else’s', async () => {
    const server = await admin()
    const first = await server.open({ user: 'alice', rooms: ['a'] })
    const second = await server.open({ user: 'alice', rooms: ['b'] })
    const bob = await server.open({ user: 'bob', rooms: ['a'] })
    const response = await post(server.port, 'disconnect', { userId: 'alice' })
    assert.deepEqual(
      [response.status, response.json()],
      [200, { closed: 2, errors: [], partial: false }],
    )
    assert.equal((await closedOf(first)).code, 1008)
    assert.equal((await closedOf(second)).code, 1008)
    await assertStillOpen(bob)
    await eventually(() => server.wss.getConnectionCount() === 1, 'one left')
    assert.equal((await overview(server.port)).figures.users, 1)
  })

  test('a test broadcast reaches a room’s members, or every connection', async () => {
    const server = await admin()
    const member = await server.open({ rooms: ['ops'] })
    const outsider = await server.open({ rooms: ['other'] })
    const toRoom = await post(server.port, 'broadcast', { room: 'ops', message: 'hello ops' })
    assert.deepEqual([toRoom.status, toRoom.json()], [200, { reachedLocally: 1 }])
    assert.equal(await member.next(), 'hello ops')
    await outsider.nothingWithin(50)
    const toAll = await post(server.port, 'broadcast', { message: '{"type":"test"}' })
    assert.deepEqual(toAll.json(), { reachedLocally: 2 })
    assert.equal(await member.next(), '{"type":"test"}')
    assert.equal(await outsider.next(), '{"type":"test"}')
    const empty = await post(server.port, 'broadcast', { room: 'nobody', message: 'x' })
    assert.deepEqual(empty.json(), { reachedLocally: 0 })
  })
})

describe('mounting', () => {
  test('Express: app.use(admin) after express.json(), and app.use(path, admin); other routes go on', async () => {
    for (const mount of ['root', 'path'] as const) {
      const server = await admin({}, {}, (handler) => {
        const app = express()
        app.set('env', 'test') // express.json()'s 400 is expected: no stack trace on stderr
        app.use(express.json())
        if (mount === 'root') app.use(handler)
        else app.use('/admin', handler)
        app.get('/hello', (_req, res) => {
          res.send('app route')
        })
        return app
      })
      const client = await server.open({ user: 'u' })
      assert.equal((await overview(server.port)).figures.connections, 1, mount)
      assert.equal((await call(server.port, { path: '/hello' })).text, 'app route')
      assert.equal((await call(server.port, { path: '/admin/api/overview' })).status, 401)
      const response = await post(server.port, 'disconnect', { userId: 'u' })
      assert.deepEqual(
        response.json(),
        { closed: 1, errors: [], partial: false },
        'body from req.body',
      )
      assert.equal((await closedOf(client)).code, 1008)
      const bad = await call(server.port, {
        method: 'POST',
        path: '/admin/api/disconnect',
        headers: postHeaders,
        body: '{"id":',
      })
      assert.equal(bad.status, 400, 'express.json() refuses it first, with its own 400')
    }
  })

  test('Fastify (onRequest, before body parsing) and Koa, through handles()', async () => {
    const server = await admin()
    const handler = adminHandler(server.wss, { auth: bearerAuth() })

    const fastify = Fastify()
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!handler.handles(request.raw)) return done()
      reply.hijack()
      handler(request.raw, reply.raw)
    })
    fastify.get('/hello', async () => 'fastify route')
    await fastify.listen({ port: 0, host: '127.0.0.1' })
    opened.push({ close: () => fastify.close() })
    const fastifyPort = (fastify.server.address() as AddressInfo).port

    const koa = new Koa()
    koa.use(async (ctx, next) => {
      if (!handler.handles(ctx.req)) return next()
      ctx.respond = false
      handler(ctx.req, ctx.res)
    })
    koa.use((ctx) => {
      ctx.body = 'koa route'
    })
    const koaServer = koa.listen(0, '127.0.0.1')
    await new Promise((resolve) => koaServer.once('listening', resolve))
    opened.push({ close: () => new Promise<void>((resolve) => koaServer.close(() => resolve())) })
    const koaPort = (koaServer.address() as AddressInfo).port

    const client = await server.open({ rooms: ['r'] })
    for (const [port, name] of [
      [fastifyPort, 'fastify'],
      [koaPort, 'koa'],
    ] as const) {
      assert.equal((await overview(port)).figures.connections, 1, name)
      assert.equal((await call(port, { path: '/hello' })).text, `${name} route`)
      assert.equal((await call(port, { path: '/admin/api/overview' })).status, 401, name)
      const sent = await post(port, 'broadcast', { room: 'r', message: name })
      assert.deepEqual([sent.status, sent.json()], [200, { reachedLocally: 1 }], name)
      assert.equal(await client.next(), name)
    }
  })
})

function bearerAuth() {
  return { token: bearer.Authorization.slice('Bearer '.length) }
}
