/** roomcast/fastify against the real Fastify 5: upgrades routed by Fastify's router, its hooks first. */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import { roomcastPlugin } from '../src/fastify.ts'
import {
  createWebSocket,
  ErrorCode,
  RoomcastError,
  type WebSocketOptions,
  type WSConnection,
} from '../src/index.ts'
import { closedOf, connect, handshakeOutcome } from './helpers/client.ts'
import { assertChatExample } from './helpers/example-process.ts'
import { handlesAfterClose, openHandles } from './helpers/open-handles.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { recordingLogger } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'

const cleanups = cleanupsAfterEach()

/** A Fastify app with the plugin over a fresh roomcast server, listening on 127.0.0.1:0. */
async function serve(setup: (app: FastifyInstance) => void, options: WebSocketOptions = {}) {
  const wss = createWebSocket({ logger: recordingLogger(), ...options })
  const app = Fastify()
  await app.register(roomcastPlugin, { wss })
  setup(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  cleanups.push(() => app.close())
  const { port } = app.server.address() as AddressInfo
  return {
    app,
    wss,
    port,
    url: (path: string) => `ws://127.0.0.1:${port}${path}`,
    http: (path: string) => `http://127.0.0.1:${port}${path}`,
  }
}

describe('roomcast/fastify', () => {
  test("a { websocket: true } route gets Fastify's params; messages, rooms and HTTP routes beside it", async () => {
    const seen: Array<{ conn: WSConnection; params: unknown; isWebSocket: boolean }> = []
    const { wss, url, http } = await serve((app) => {
      app.get('/rooms', async (request) => ({
        rooms: app.wss.getRooms(),
        isWebSocket: request.isWebSocket,
      }))
      app.get<{ Params: { room: string } }>('/chat/:room', { websocket: true }, (conn, request) => {
        const room = `chat:${request.params.room}`
        seen.push({ conn, params: request.params, isWebSocket: request.isWebSocket })
        conn.join(room)
        conn.send(`welcome to ${request.params.room}`)
        conn.on('message', (text) => conn.broadcast(room, String(text)))
      })
    })
    const alice = await connect(url('/chat/lobby?x=1'))
    const bob = await connect(url('/chat/lobby'))
    cleanups.push(() => {
      alice.ws.terminate()
      bob.ws.terminate()
    })
    assert.equal(await alice.next(), 'welcome to lobby')
    assert.equal(await bob.next(), 'welcome to lobby')
    assert.deepEqual({ ...(seen[0]?.params as object) }, { room: 'lobby' })
    assert.deepEqual(seen[0]?.conn.params, { room: 'lobby' })
    assert.equal(seen[0]?.conn.url, '/chat/lobby')
    assert.equal(seen[0]?.conn.query.get('x'), '1')
    assert.equal(seen[0]?.isWebSocket, true)

    alice.send('hello')
    assert.equal(await bob.next(), 'hello')
    assert.equal(wss.broadcastToRoom('chat:lobby', 'from the server'), 2)
    assert.equal(await alice.next(), 'from the server')
    assert.equal(await bob.next(), 'from the server')

    const rooms = await fetch(http('/rooms'))
    assert.deepEqual(await rooms.json(), { rooms: ['chat:lobby'], isWebSocket: false })
    const plain = await fetch(http('/chat/lobby'))
    assert.equal(plain.status, 426)
    assert.equal(plain.headers.get('upgrade'), 'websocket')
  })

  test('an async handler: messages wait for it, as for a wss.on() handler', async () => {
    const { url } = await serve((app) => {
      app.get('/echo', { websocket: true }, async (conn) => {
        await new Promise((resolve) => setTimeout(resolve, 30))
        conn.on('message', (text) => conn.send(`echo ${text}`))
      })
    })
    const client = await connect(url('/echo'))
    cleanups.push(() => client.ws.terminate())
    client.send('early')
    assert.equal(await client.next(), 'echo early')
  })

  test('hooks refuse before the upgrade with their own status and headers; nothing opens', async () => {
    let opened = 0
    const { wss, port, url } = await serve((app) => {
      app.addHook('onRequest', async (request, reply) => {
        const token = new URL(request.url, 'http://x').searchParams.get('token')
        if (token === null) return reply.code(401).header('www-authenticate', 'Bearer').send()
      })
      app.get(
        '/feed',
        {
          websocket: true,
          preValidation: async (request, reply) => {
            if (!request.url.endsWith('token=ok')) return reply.code(403).send({ reason: 'no' })
          },
        },
        () => {
          opened++
        },
      )
    })
    assert.equal(await handshakeOutcome(url('/feed')), 401)
    assert.equal(await handshakeOutcome(url('/feed?token=bad')), 403)
    const raw = await rawRequest(port, upgradeRequest('/feed'))
    assert.equal(statusOf(raw), 401)
    assert.match(raw, /\r\nwww-authenticate: Bearer\r\n/i)
    assert.match(raw, /\r\nConnection: close\r\n/i)
    assert.equal(opened, 0)
    assert.equal(wss.getStats().connectionsTotal, 0)

    assert.equal(await handshakeOutcome(url('/feed?token=ok')), 101)
    assert.equal(opened, 1)
  })

  test("an upgrade no route takes gets Fastify's 404; an HTTP route answers as it would", async () => {
    const { wss, url } = await serve((app) => {
      app.get('/health', async () => 'ok')
      app.get('/ws', { websocket: true }, () => {})
    })
    assert.equal(await handshakeOutcome(url('/nowhere')), 404)
    assert.equal(await handshakeOutcome(url('/health')), 200)
    assert.equal(wss.getStats().connectionsTotal, 0)
  })

  test("roomcast's own checks still apply after Fastify: origin 403, capacity 503", async () => {
    const { url } = await serve(
      (app) => {
        app.get('/ws', { websocket: true }, () => {})
      },
      { allowedOrigins: ['https://app.example'], maxConnections: 1 },
    )
    const from = (origin: string) => ({ headers: { origin } })
    assert.equal(await handshakeOutcome(url('/ws'), from('https://evil.example')), 403)
    const first = await connect(url('/ws'), from('https://app.example'))
    cleanups.push(() => first.ws.terminate())
    assert.equal(await handshakeOutcome(url('/ws'), from('https://app.example')), 503)
  })

  test('fastify.close() closes the connections with 1001 and the server it made; no handles stay', async () => {
    const before = openHandles()
    const app = Fastify()
    await app.register(roomcastPlugin, { options: { logger: recordingLogger() } })
    app.get('/ws', { websocket: true }, (conn) => {
      conn.join('all')
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    const clients = [
      await connect(`ws://127.0.0.1:${port}/ws`),
      await connect(`ws://127.0.0.1:${port}/ws`),
    ]
    assert.equal(app.wss.getConnectionCount(), 2)
    await app.close()
    for (const client of clients) assert.equal((await closedOf(client)).code, 1001)
    assert.equal(app.wss.health().closing, true)
    assert.equal(app.server.listenerCount('upgrade'), 0)
    await handlesAfterClose(before)
  })

  test('options and routes are checked: clear errors from register()', async () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    cleanups.push(() => wss.close())
    const rejects = async (options: object, message: string) => {
      const app = Fastify()
      await assert.rejects(
        async () => {
          await app.register(roomcastPlugin, options as { wss: typeof wss })
        },
        (error: unknown) => {
          assert.ok(error instanceof RoomcastError)
          assert.equal(error.code, ErrorCode.InvalidOption)
          assert.equal(error.message, message)
          return true
        },
      )
      await app.close()
    }
    await rejects({ wsss: wss }, 'roomcast/fastify: Unknown option "wsss": did you mean "wss"?')
    await rejects(
      { wss: {} },
      'roomcast/fastify: option "wss" must be a server from createWebSocket()',
    )
    await rejects({ wss, options: {} }, 'roomcast/fastify: pass "wss" or "options", not both')
    await rejects(
      { options: { maxConnection: 1 } },
      'Unknown option "maxConnection": did you mean "maxConnections"?',
    )

    const app = Fastify()
    cleanups.push(() => app.close())
    await app.register(roomcastPlugin, { wss })
    assert.throws(
      () => app.route({ method: 'POST', url: '/ws', websocket: true, handler: () => {} }),
      {
        name: 'TypeError',
        message: 'roomcast/fastify: a { websocket: true } route must be GET, not POST (/ws)',
      },
    )
  })

  test('examples/fastify runs: a chat room, 401 without a name', async () => {
    await assertChatExample('examples/fastify/server.ts', cleanups)
  })
})
