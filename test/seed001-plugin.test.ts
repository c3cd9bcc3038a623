/** Seed 001's WebSocketPlugin: its three examples run as child processes on Express, and the plugin on each app kind. */
import assert from 'node:assert/strict'
import { type ChildProcess, fork } from 'node:child_process'
import { createServer } from 'node:http'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { ErrorCode, WebSocketPlugin } from '../src/index.ts'
import { closedOf, connect, handshakeOutcome, type TestClient } from './helpers/client.ts'
import { nextJson } from './helpers/json.ts'
import { closeHttp, listenOnLoopback } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { within } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()

/** Runs a seed example in its own process and resolves with the port it listens on. */
async function runExample(name: string): Promise<number> {
  const file = fileURLToPath(new URL(`./fixtures/seed001/${name}.ts`, import.meta.url))
  const child: ChildProcess = fork(file, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  cleanups.push(() => {
    child.kill('SIGKILL')
  })
  const message = await within(
    new Promise<{ port: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { port: number }))
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)))
    }),
    15_000,
    `${name} listening`,
  )
  return message.port
}

async function open(url: string): Promise<TestClient> {
  const client = await connect(url)
  cleanups.push(() => client.ws.terminate())
  return client
}

/** The next JSON message of `type`, skipping others (heartbeat-driven metrics, joins). */
async function nextOfType(client: TestClient, type: string): Promise<Record<string, unknown>> {
  for (;;) {
    const message = (await nextJson(client, 3000)) as Record<string, unknown>
    if (message.type === type) return message
  }
}

const post = (port: number, path: string, body: unknown) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe("seed 001's examples, as written, on Express", () => {
  test('chat: verifyClient and wsUse authenticate, messages and system broadcasts reach the room', async () => {
    const port = await runExample('chat')
    const url = (token: string) => `ws://127.0.0.1:${port}/chat?token=${token}`
    assert.equal(await handshakeOutcome(url('nobody')), 401)
    const alice = await open(url('alice-token'))
    const aliceList = await nextOfType(alice, 'user_list')
    assert.deepEqual(aliceList.users, [{ id: 'u1', name: 'Alice' }])
    const bob = await open(url('bob-token'))
    assert.deepEqual((await nextOfType(alice, 'user_joined')).user, { id: 'u2', name: 'Bob' })
    assert.equal(((await nextOfType(bob, 'user_list')).users as unknown[]).length, 2)
    alice.send(JSON.stringify({ type: 'chat_message', text: 'hello' }))
    const message = await nextOfType(bob, 'message')
    assert.deepEqual([message.text, message.user], ['hello', { id: 'u1', name: 'Alice' }])
    const response = await post(port, '/api/admin/broadcast', { message: 'maintenance' })
    assert.deepEqual(await response.json(), { success: true })
    for (const client of [alice, bob]) {
      assert.equal((await nextOfType(client, 'system_message')).message, 'maintenance')
    }
    bob.close()
    assert.deepEqual((await nextOfType(alice, 'user_left')).user, { id: 'u2', name: 'Bob' })
  })

  test('dashboard: initial metrics, a broadcast every second with the connection count, orders from HTTP', async () => {
    const port = await runExample('dashboard')
    const client = await open(`ws://127.0.0.1:${port}/dashboard`)
    const initial = await nextOfType(client, 'initial_metrics')
    assert.equal((initial.data as { connections: number }).connections, 1)
    const update = await nextOfType(client, 'metrics_update')
    assert.equal(typeof (update.data as { uptime: number }).uptime, 'number')
    const response = await post(port, '/api/orders', { item: 'book' })
    assert.deepEqual(await response.json(), { id: 1, item: 'book' })
    assert.deepEqual((await nextOfType(client, 'new_order')).order, { id: 1, item: 'book' })
  })

  test('game: state, joins, moves to the room, game over; no playerId closes with 1008', async () => {
    const port = await runExample('game')
    const url = (query: string) => `ws://127.0.0.1:${port}/game/g1${query}`
    const refused = await open(url(''))
    assert.deepEqual(await closedOf(refused), { code: 1008, reason: 'Player ID required' })
    const a = await open(url('?playerId=a'))
    assert.deepEqual((await nextOfType(a, 'game_state')).players, ['a'])
    const b = await open(url('?playerId=b'))
    assert.equal((await nextOfType(a, 'player_joined')).playerId, 'b')
    await nextOfType(b, 'game_state')
    a.send(JSON.stringify({ type: 'move', move: 4 }))
    assert.equal((await nextOfType(b, 'move_made')).move, 4)
    a.send(JSON.stringify({ type: 'move', move: 4 }))
    assert.equal((await nextOfType(a, 'invalid_move')).reason, 'Move not allowed')
    for (let cell = 0; cell < 9; cell++)
      if (cell !== 4) a.send(JSON.stringify({ type: 'move', move: cell }))
    for (const client of [a, b])
      assert.equal((await nextOfType(client, 'game_over')).winner, 'draw')
  })
})

describe('WebSocketPlugin', () => {
  test("options are the seed's own: defaults, Infinity, and roomcast's names refused here", () => {
    const plugin = new WebSocketPlugin({ maxConnections: Number.POSITIVE_INFINITY })
    assert.deepEqual(plugin.getStats(), {
      totalConnections: 0,
      rooms: [],
      roomcast: plugin.server.getStats(),
    })
    assert.throws(
      () => new WebSocketPlugin({ allowedOrigins: [] } as never),
      (error: Error & { code?: string }) =>
        error.code === ErrorCode.InvalidOption && /did you mean "allowOrigins"/.test(error.message),
    )
    assert.throws(
      () => new WebSocketPlugin({ heartbeatMs: 1000, server: { heartbeatInterval: 5 } }),
      /WebSocketPlugin\.server\.heartbeatInterval/,
    )
  })

  test('on Koa: app.ws, wsBroadcast to a room, ctx.wsRooms from HTTP middleware, getStats', async () => {
    const app = new Koa()
    const plugin = new WebSocketPlugin({ path: [] })
    const ws = plugin.install(app)
    ws.ws('/live/:topic', (socket) => socket.join(`topic:${socket.params.topic}`))
    app.use((ctx) => {
      const rooms = ctx.wsRooms as { broadcast(room: string, message: string): number }
      ctx.body = {
        isWebSocket: ctx.isWebSocket,
        reached: rooms.broadcast('topic:news', 'from http'),
      }
    })
    const server = ws.listen(0, '127.0.0.1')
    cleanups.push(() => closeHttp(server))
    await new Promise((resolve) => server.once('listening', resolve))
    const port = (server.address() as { port: number }).port
    const client = await open(`ws://127.0.0.1:${port}/live/news`)
    assert.deepEqual(plugin.getStats().rooms, ['topic:news'])
    const response = await fetch(`http://127.0.0.1:${port}/anything`)
    assert.deepEqual(await response.json(), { isWebSocket: false, reached: 1 })
    assert.equal(await client.next(), 'from http')
    ws.wsBroadcast('to everyone')
    assert.equal(await client.next(), 'to everyone')
    assert.equal(plugin.getStats().totalConnections, 1)
  })

  test('closing the app closes its WebSocket connections first (Express listen, Fastify close); req.ws is the connection', async () => {
    const app = express()
    const plugin = new WebSocketPlugin()
    const seen: unknown[] = []
    plugin.install(app).ws('/ws', (socket, request) => {
      seen.push((request as { ws?: unknown }).ws === socket)
    })
    const http = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => http.once('listening', resolve))
    const port = (http.address() as { port: number }).port
    const client = await open(`ws://127.0.0.1:${port}/ws`)
    assert.deepEqual(seen, [true])
    await within(new Promise((resolve) => http.close(resolve)), 3000, 'express server close')
    assert.equal((await closedOf(client)).code, 1001)

    const fastify = Fastify()
    const onFastify = new WebSocketPlugin()
    onFastify.install(fastify).ws('/ws', () => {})
    await fastify.listen({ port: 0, host: '127.0.0.1' })
    const address = fastify.server.address() as { port: number }
    const fastifyClient = await open(`ws://127.0.0.1:${address.port}/ws`)
    await within(fastify.close(), 3000, 'fastify.close()')
    assert.equal((await closedOf(fastifyClient)).code, 1001)
  })

  test('on a plain http server, and refused for anything else', async () => {
    const http = createServer()
    const plugin = new WebSocketPlugin()
    plugin.install(http).ws('/ws', (socket) => socket.send('hi'))
    const port = await listenOnLoopback(http)
    cleanups.push(async () => {
      await plugin.server.close()
      await closeHttp(http)
    })
    const client = await open(`ws://127.0.0.1:${port}/ws`)
    assert.equal(await client.next(), 'hi')
    assert.throws(
      () => plugin.install({} as never),
      /expected an Express, Koa, Fastify or Hono app/,
    )
    const app = express()
    new WebSocketPlugin().install(app)
    assert.throws(() => new WebSocketPlugin().install(app), /app already has ws\(\)/)
  })
})
