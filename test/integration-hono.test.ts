/** roomcast/hono against the real Hono 4 on @hono/node-server: upgrades run through the Hono app first. */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import { serve as serveNode } from '@hono/node-server'
import { Hono } from 'hono'
import { createNodeWebSocket, type NodeWebSocket, type WebSocketCloseEvent } from '../src/hono.ts'
import { createWebSocket, type WebSocketOptions, type WSConnection } from '../src/index.ts'
import { closedOf, connect, handshakeOutcome } from './helpers/client.ts'
import { assertChatExample } from './helpers/example-process.ts'
import { handlesAfterClose, openHandles } from './helpers/open-handles.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { closeHttp, recordingLogger } from './helpers/server.ts'
import { cleanupsAfterEach, leaksDuringFile } from './helpers/teardown.ts'
import { delay, eventually } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()
const leaked = leaksDuringFile()

type Upgrade = NodeWebSocket['upgradeWebSocket']

/** A Hono app on @hono/node-server at 127.0.0.1:0, its upgrades injected; closed after the test. */
async function start(app: Hono, inject: NodeWebSocket['injectWebSocket']) {
  const server = serveNode({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
  await once(server, 'listening')
  const detach = inject(server)
  const { port } = server.address() as AddressInfo
  return { server, detach, port }
}

async function serve(setup: (app: Hono, upgrade: Upgrade) => void, options: WebSocketOptions = {}) {
  const wss = createWebSocket({ logger: recordingLogger(), ...options })
  const app = new Hono()
  const errors: Error[] = []
  app.onError((error, c) => {
    errors.push(error)
    return c.text('failed', 500)
  })
  const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app, wss })
  setup(app, upgradeWebSocket)
  const { server, detach, port } = await start(app, injectWebSocket)
  cleanups.push(async () => {
    await wss.close()
    detach()
    await closeHttp(server)
  })
  return {
    wss,
    errors,
    port,
    url: (path: string) => `ws://127.0.0.1:${port}${path}`,
    http: (path: string) => `http://127.0.0.1:${port}${path}`,
  }
}

describe('roomcast/hono', () => {
  test("an upgradeWebSocket() route gets Hono's params; messages, rooms and HTTP routes beside it", async () => {
    const seen: WSConnection[] = []
    const closes: WebSocketCloseEvent[] = []
    const { wss, url, http } = await serve((app, upgradeWebSocket) => {
      app.get('/rooms', (c) => c.json({ rooms: wss.getRooms() }))
      app.get(
        '/chat/:room',
        upgradeWebSocket((c) => {
          const room = `chat:${c.req.param('room')}`
          return {
            onOpen: (_event, conn) => {
              seen.push(conn)
              conn.join(room)
              conn.send(`welcome to ${c.req.param('room')}`)
            },
            onMessage: (event, conn) => {
              conn.broadcast(room, event.data)
            },
            onClose: (event) => {
              closes.push(event)
            },
          }
        }),
        // A plain GET goes on past upgradeWebSocket().
        (c) => c.text('use a WebSocket', 426),
      )
    })
    const alice = await connect(url('/chat/lobby?x=1'))
    const bob = await connect(url('/chat/lobby'))
    cleanups.push(() => bob.ws.terminate())
    assert.equal(await alice.next(), 'welcome to lobby')
    assert.equal(await bob.next(), 'welcome to lobby')
    assert.deepEqual(seen[0]?.params, { room: 'lobby' })
    assert.equal(seen[0]?.url, '/chat/lobby')
    assert.equal(seen[0]?.query.get('x'), '1')

    alice.send('hello')
    assert.equal(await bob.next(), 'hello')
    assert.equal(wss.broadcastToRoom('chat:lobby', 'from the server'), 2)
    assert.equal(await alice.next(), 'from the server')
    assert.equal(await bob.next(), 'from the server')

    const rooms = await fetch(http('/rooms'))
    assert.deepEqual(await rooms.json(), { rooms: ['chat:lobby'] })
    assert.equal((await fetch(http('/chat/lobby'))).status, 426)

    alice.close(4000, 'bye')
    await eventually(() => closes.length === 1, 'onClose')
    assert.deepEqual(closes[0], { type: 'close', code: 4000, reason: 'bye' })
  })

  test('messages wait for an async onOpen, as for a wss.on() handler', async () => {
    const { url } = await serve((app, upgradeWebSocket) => {
      app.get(
        '/echo',
        upgradeWebSocket(() => ({
          onOpen: async () => {
            await delay(30)
          },
          onMessage: (event, conn) => {
            conn.send(`echo ${event.data}`)
          },
        })),
      )
    })
    const client = await connect(url('/echo'))
    cleanups.push(() => client.ws.terminate())
    client.send('early')
    assert.equal(await client.next(), 'echo early')
  })

  test('middleware before the route refuses with its own status and headers; nothing opens', async () => {
    let opened = 0
    const { wss, port, url } = await serve((app, upgradeWebSocket) => {
      app.use('/feed', async (c, next) => {
        const token = c.req.query('token')
        if (token === undefined) return c.text('login first', 401, { 'WWW-Authenticate': 'Bearer' })
        if (token !== 'ok') return c.json({ reason: 'no' }, 403)
        await next()
      })
      app.get(
        '/feed',
        upgradeWebSocket(() => ({
          onOpen: () => {
            opened++
          },
        })),
      )
    })
    assert.equal(await handshakeOutcome(url('/feed')), 401)
    assert.equal(await handshakeOutcome(url('/feed?token=bad')), 403)
    const raw = await rawRequest(port, upgradeRequest('/feed'))
    assert.equal(statusOf(raw), 401)
    assert.match(raw, /\r\nwww-authenticate: Bearer\r\n/i)
    assert.match(raw, /\r\nConnection: close\r\n/)
    assert.ok(raw.endsWith('\r\n\r\nlogin first'), raw)
    assert.equal(opened, 0)
    assert.equal(wss.getStats().connectionsTotal, 0)

    assert.equal(await handshakeOutcome(url('/feed?token=ok')), 101)
    assert.equal(opened, 1)
  })

  test("an upgrade no route takes gets Hono's 404", async () => {
    const { wss, url } = await serve((app, upgradeWebSocket) => {
      app.get(
        '/ws',
        upgradeWebSocket(() => ({})),
      )
    })
    assert.equal(await handshakeOutcome(url('/nowhere')), 404)
    assert.equal(wss.getStats().connectionsTotal, 0)
  })

  test("roomcast's own checks still apply after Hono: origin 403, capacity 503", async () => {
    const { url } = await serve(
      (app, upgradeWebSocket) => {
        app.get(
          '/ws',
          upgradeWebSocket(() => ({})),
        )
      },
      { allowedOrigins: ['https://app.example'], maxConnections: 1 },
    )
    const from = (origin: string) => ({ headers: { origin } })
    assert.equal(await handshakeOutcome(url('/ws'), from('https://evil.example')), 403)
    const first = await connect(url('/ws'), from('https://app.example'))
    cleanups.push(() => first.ws.terminate())
    assert.equal(await handshakeOutcome(url('/ws'), from('https://app.example')), 503)
  })

  test('closing roomcast, then the server, closes the connections with 1001; no handles stay', async () => {
    const before = openHandles()
    const wss = createWebSocket({ logger: recordingLogger() })
    const app = new Hono()
    const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app, wss })
    app.get(
      '/ws',
      upgradeWebSocket(() => ({ onOpen: (_event, conn) => conn.join('all') })),
    )
    const { server, detach, port } = await start(app, injectWebSocket)
    const clients = [
      await connect(`ws://127.0.0.1:${port}/ws`),
      await connect(`ws://127.0.0.1:${port}/ws`),
    ]
    assert.equal(wss.getConnectionCount(), 2)
    await wss.close()
    detach()
    await closeHttp(server)
    for (const client of clients) assert.equal((await closedOf(client)).code, 1001)
    assert.equal(server.listenerCount('upgrade'), 0)
    await handlesAfterClose(before)
  })

  test('misuse is explained: a misspelt hook, a wrong server', async () => {
    const { errors, url } = await serve((app, upgradeWebSocket) => {
      app.get(
        '/ws',
        upgradeWebSocket(() => ({ onmessage: () => {} }) as never),
      )
    })
    assert.equal(await handshakeOutcome(url('/ws')), 500)
    assert.equal(
      errors[0]?.message,
      'roomcast/hono: upgradeWebSocket(): unknown hook "onmessage": did you mean "onMessage"?',
    )
    assert.throws(() => createNodeWebSocket({ app: new Hono(), wss: {} as never }), {
      name: 'TypeError',
      message: 'roomcast/hono: createNodeWebSocket({ wss }) takes a server from createWebSocket()',
    })
  })

  test('examples/hono runs: a chat room, 401 without a name', async () => {
    await assertChatExample('examples/hono/server.ts', cleanups)
  })

  test('no unhandled rejection or uncaught exception leaked', () => {
    assert.deepEqual(leaked, [])
  })
})
