/** roomcast/koa against the real Koa 3 and @koa/router: upgrades run through Koa's middleware first. */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { describe, test } from 'node:test'
import Router from '@koa/router'
import Koa from 'koa'
import { createWebSocket, type WebSocketOptions, type WSConnection } from '../src/index.ts'
import { koaUpgrades, websocket } from '../src/koa.ts'
import { closedOf, connect, handshakeOutcome } from './helpers/client.ts'
import { assertChatExample } from './helpers/example-process.ts'
import { handlesAfterClose, openHandles } from './helpers/open-handles.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { closeHttp, listenOnLoopback, recordingLogger } from './helpers/server.ts'
import { cleanupsAfterEach, leaksDuringFile } from './helpers/teardown.ts'
import { delay } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()
const leaked = leaksDuringFile()

/** A Koa app with `websocket(wss)` first, its upgrades routed through it, on 127.0.0.1:0. */
async function serve(setup: (app: Koa, router: Router) => void, options: WebSocketOptions = {}) {
  const wss = createWebSocket({ logger: recordingLogger(), ...options })
  const app = new Koa()
  const errors: unknown[] = []
  app.on('error', (error) => errors.push(error))
  const router = new Router()
  app.use(websocket(wss))
  setup(app, router)
  app.use(router.routes())
  const server = createServer(app.callback())
  const detach = koaUpgrades(app, server)
  const port = await listenOnLoopback(server)
  cleanups.push(async () => {
    await wss.close()
    detach()
    await closeHttp(server)
  })
  return {
    wss,
    server,
    detach,
    errors,
    port,
    url: (path: string) => `ws://127.0.0.1:${port}${path}`,
    http: (path: string) => `http://127.0.0.1:${port}${path}`,
  }
}

describe('roomcast/koa', () => {
  test("a @koa/router route upgrades with ctx.ws(): Koa's params, messages, rooms, HTTP beside it", async () => {
    const seen: WSConnection[] = []
    const { wss, url, http } = await serve((_app, router) => {
      router.get('/rooms', (ctx) => {
        ctx.body = { rooms: ctx.wss.getRooms(), isWebSocket: ctx.isWebSocket }
      })
      router.get('/chat/:room', async (ctx) => {
        if (!ctx.isWebSocket) {
          ctx.status = 426
          return
        }
        const room = `chat:${ctx.params.room}`
        const conn = await ctx.ws()
        seen.push(conn)
        conn.join(room)
        conn.send(`welcome to ${ctx.params.room}`)
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
    assert.deepEqual(seen[0]?.params, { room: 'lobby' })
    assert.equal(seen[0]?.url, '/chat/lobby')
    assert.equal(seen[0]?.query.get('x'), '1')

    alice.send('hello')
    assert.equal(await bob.next(), 'hello')
    assert.equal(wss.broadcastToRoom('chat:lobby', 'from the server'), 2)
    assert.equal(await alice.next(), 'from the server')
    assert.equal(await bob.next(), 'from the server')

    const rooms = await fetch(http('/rooms'))
    assert.deepEqual(await rooms.json(), { rooms: ['chat:lobby'], isWebSocket: false })
    assert.equal((await fetch(http('/chat/lobby'))).status, 426)
  })

  test('messages wait for the middleware after ctx.ws(), however late it adds its listeners', async () => {
    const { url } = await serve((_app, router) => {
      router.get('/echo', async (ctx) => {
        const conn = await ctx.ws()
        await delay(30)
        conn.on('message', (text) => conn.send(`echo ${text}`))
      })
    })
    const client = await connect(url('/echo'))
    cleanups.push(() => client.ws.terminate())
    client.send('early')
    assert.equal(await client.next(), 'echo early')
  })

  test('middleware before the route refuses with its own status and headers; nothing opens', async () => {
    let opened = 0
    const { wss, port, url } = await serve((app, router) => {
      app.use(async (ctx, next) => {
        const token = ctx.query.token
        if (token === undefined) {
          ctx.set('WWW-Authenticate', 'Bearer')
          ctx.status = 401
          return
        }
        if (token !== 'ok') {
          ctx.status = 403
          ctx.body = { reason: 'no' }
          return
        }
        await next()
      })
      router.get('/feed', async (ctx) => {
        await ctx.ws()
        opened++
      })
    })
    assert.equal(await handshakeOutcome(url('/feed')), 401)
    assert.equal(await handshakeOutcome(url('/feed?token=bad')), 403)
    const raw = await rawRequest(port, upgradeRequest('/feed'))
    assert.equal(statusOf(raw), 401)
    assert.match(raw, /\r\nWWW-Authenticate: Bearer\r\n/i)
    assert.match(raw, /\r\nConnection: close\r\n/i)
    assert.equal(opened, 0)
    assert.equal(wss.getStats().connectionsTotal, 0)

    assert.equal(await handshakeOutcome(url('/feed?token=ok')), 101)
    assert.equal(opened, 1)
  })

  test("an upgrade no middleware takes gets Koa's 404", async () => {
    const { wss, url } = await serve((_app, router) => {
      router.get('/ws', async (ctx) => {
        await ctx.ws()
      })
    })
    assert.equal(await handshakeOutcome(url('/nowhere')), 404)
    assert.equal(wss.getStats().connectionsTotal, 0)
  })

  test("roomcast's own checks still apply after Koa: origin 403, capacity 503; ctx.ws() rejects quietly", async () => {
    const outcomes: string[] = []
    const { errors, url } = await serve(
      (_app, router) => {
        router.get('/ws', async (ctx) => {
          try {
            await ctx.ws()
            outcomes.push('open')
          } catch (error) {
            outcomes.push((error as Error).message)
            throw error
          }
        })
      },
      { allowedOrigins: ['https://app.example'], maxConnections: 1 },
    )
    const from = (origin: string) => ({ headers: { origin } })
    assert.equal(await handshakeOutcome(url('/ws'), from('https://evil.example')), 403)
    const first = await connect(url('/ws'), from('https://app.example'))
    cleanups.push(() => first.ws.terminate())
    assert.equal(await handshakeOutcome(url('/ws'), from('https://app.example')), 503)
    const refused =
      'roomcast/koa: the WebSocket handshake did not complete (roomcast refused it, or the client left)'
    assert.deepEqual(outcomes.sort(), [refused, refused, 'open'].sort())
    // Koa answers nothing more and reports nothing: the client already has roomcast's refusal.
    assert.deepEqual(errors, [])
  })

  test('closing roomcast, then the server, closes the connections with 1001; no handles stay', async () => {
    const before = openHandles()
    const wss = createWebSocket({ logger: recordingLogger() })
    const app = new Koa()
    app.use(websocket(wss))
    app.use(async (ctx) => {
      const conn = await ctx.ws()
      conn.join('all')
    })
    const server = createServer(app.callback())
    const detach = koaUpgrades(app, server)
    const port = await listenOnLoopback(server)
    const clients = [
      await connect(`ws://127.0.0.1:${port}/`),
      await connect(`ws://127.0.0.1:${port}/`),
    ]
    assert.equal(wss.getConnectionCount(), 2)
    await wss.close()
    detach()
    await closeHttp(server)
    for (const client of clients) assert.equal((await closedOf(client)).code, 1001)
    assert.equal(server.listenerCount('upgrade'), 0)
    await handlesAfterClose(before)
  })

  test('misuse is explained: ctx.ws() on plain HTTP, websocket() without a server', async () => {
    const { errors, http } = await serve((_app, router) => {
      router.get('/ws', async (ctx) => {
        await ctx.ws()
      })
    })
    assert.equal((await fetch(http('/ws'))).status, 500)
    assert.equal(
      (errors[0] as Error).message,
      'roomcast/koa: ctx.ws(): this is not a WebSocket upgrade request (check ctx.isWebSocket)',
    )
    assert.throws(() => websocket({} as never), {
      name: 'TypeError',
      message: 'roomcast/koa: websocket(wss) takes a server from createWebSocket()',
    })
  })

  test('examples/koa runs: a chat room, 401 without a name', async () => {
    await assertChatExample('examples/koa/server.ts', cleanups)
  })

  test('no unhandled rejection or uncaught exception leaked', () => {
    assert.deepEqual(leaked, [])
  })
})
