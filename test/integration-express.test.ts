/** roomcast/express against the real Express 4 and 5: upgrades routed by Express, its middleware first. */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { describe, test } from 'node:test'
import express5 from 'express'
import express4 from 'express4'
import { WebSocketServer } from 'ws'
import { expressUpgrades, websocket } from '../src/express.ts'
import { createWebSocket, type RoomcastServer, type WSConnection } from '../src/index.ts'
import { assertStillOpen, closedOf, connect, handshakeOutcome } from './helpers/client.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { closeHttp, listenOnLoopback, recordingLogger } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'

const cleanups = cleanupsAfterEach()

type Express = typeof express5
const MAJORS: Array<[string, Express]> = [
  ['Express 5', express5],
  ['Express 4', express4 as unknown as Express],
]

/** An Express app on a loopback server, its upgrades routed through the app. */
async function serve(
  express: Express,
  setup: (app: ReturnType<Express>, wss: RoomcastServer) => void,
  options = {},
) {
  const app = express()
  const wss = createWebSocket({ logger: recordingLogger(), ...options })
  setup(app, wss)
  const http = createServer(app as unknown as (req: IncomingMessage, res: ServerResponse) => void)
  const detach = expressUpgrades(app, wss, http)
  const port = await listenOnLoopback(http)
  cleanups.push(async () => {
    detach()
    await wss.close()
    await closeHttp(http)
  })
  return { wss, http, url: (path: string) => `ws://127.0.0.1:${port}${path}`, port }
}

for (const [major, express] of MAJORS) {
  describe(`roomcast/express on ${major}`, () => {
    test("a websocket() route gets Express's params; rooms and HTTP routes live beside it", async () => {
      const seen: Array<{ conn: WSConnection; isWebSocket: unknown; ws: unknown }> = []
      const { wss, url, port } = await serve(express, (app, server) => {
        app.use(server.upgrade())
        app.get('/status', (req, res) => {
          res.json({
            isWebSocket: (req as unknown as { isWebSocket: boolean }).isWebSocket,
            rooms: server.getRooms(),
          })
        })
        app.get(
          '/chat/:room',
          websocket((conn, request) => {
            conn.join(`chat:${conn.params.room}`)
            conn.on('message', (text) => conn.broadcast(`chat:${conn.params.room}`, String(text)))
            seen.push({
              conn,
              isWebSocket: (request as { isWebSocket?: unknown }).isWebSocket,
              ws: undefined,
            })
            queueMicrotask(() => {
              const last = seen.at(-1)
              if (last) last.ws = (request as { ws?: unknown }).ws
            })
          }),
        )
      })
      const alice = await connect(url('/chat/lobby?x=1'))
      const bob = await connect(url('/chat/lobby'))
      assert.equal(seen[0]?.conn.params.room, 'lobby')
      assert.equal(seen[0]?.conn.url, '/chat/lobby')
      assert.equal(seen[0]?.conn.query.get('x'), '1')
      assert.equal(seen[0]?.isWebSocket, true)
      assert.equal(seen[0]?.ws, seen[0]?.conn, 'req.ws is the connection')
      alice.send('hello')
      assert.equal(await bob.next(), 'hello')
      assert.deepEqual(wss.getRooms(), ['chat:lobby'])
      const status = await fetch(`http://127.0.0.1:${port}/status`)
      assert.deepEqual(await status.json(), { isWebSocket: false, rooms: ['chat:lobby'] })
      // A plain GET to the WebSocket route gets 426.
      assert.equal((await fetch(`http://127.0.0.1:${port}/chat/lobby`)).status, 426)
      alice.close()
      bob.close()
    })

    test('middleware before the route refuses with its own status, headers and body; nothing opens', async () => {
      let opened = 0
      const { wss, url } = await serve(express, (app) => {
        app.use((req, res, next) => {
          const token = new URL(req.url, 'http://x').searchParams.get('token')
          if (token === null) {
            res.set('WWW-Authenticate', 'Bearer').status(401).send('login first')
            return
          }
          if (token !== 'ok') return void res.sendStatus(403)
          next()
        })
        app.get(
          '/feed',
          websocket(() => {
            opened++
          }),
        )
      })
      assert.equal(await handshakeOutcome(url('/feed')), 401)
      assert.equal(await handshakeOutcome(url('/feed?token=bad')), 403)
      assert.equal(opened, 0)
      assert.equal(await handshakeOutcome(url('/feed?token=ok')), 101)
      assert.equal(opened, 1)
      assert.equal(wss.getConnectionCount(), 0)
    })

    test('a mounted router: params and the full path; an error in the chain is a 500', async () => {
      const seen: WSConnection[] = []
      const { url } = await serve(express, (app) => {
        const router = express.Router()
        router.get(
          '/rooms/:id',
          websocket((conn) => {
            seen.push(conn)
          }),
        )
        router.get('/broken', (_req, _res, next) => next(new Error('boom')))
        app.use('/api', router)
      })
      const client = await connect(url('/api/rooms/7'))
      assert.equal(seen[0]?.url, '/api/rooms/7')
      assert.deepEqual(seen[0]?.params, { id: '7' })
      client.close()
      assert.equal(await handshakeOutcome(url('/api/broken')), 500)
    })

    test('a refusal with a large body arrives whole; next(err) refuses with err.status', async () => {
      const { port } = await serve(express, (app) => {
        app.get('/big', (_req, res) => {
          res.status(403).send('x'.repeat(100_000))
        })
        app.get('/denied', (_req, _res, next) =>
          next(Object.assign(new Error('no'), { status: 403 })),
        )
      })
      const big = await rawRequest(port, upgradeRequest('/big'))
      assert.equal(statusOf(big), 403)
      assert.ok(big.endsWith('x'.repeat(100_000)), 'the whole body')
      assert.equal(statusOf(await rawRequest(port, upgradeRequest('/denied'))), 403)
    })

    test('wildcard params are strings; another listener keeps its ignoreProtocols handshakes', async () => {
      const seen: WSConnection[] = []
      const wildcard = major === 'Express 5' ? '/files/*rest' : '/files/*'
      const hmr = new WebSocketServer({ noServer: true })
      cleanups.push(() => hmr.close())
      const { url, http } = await serve(
        express,
        (app) => {
          app.get(
            wildcard,
            websocket((conn) => {
              seen.push(conn)
            }),
          )
        },
        { ignoreProtocols: ['vite-hmr'] },
      )
      http.on('upgrade', (req, socket, head) => {
        if (req.headers['sec-websocket-protocol'] !== 'vite-hmr') return
        hmr.handleUpgrade(req, socket, head, (ws) => ws.send('hmr'))
      })
      const files = await connect(url('/files/a/b'))
      assert.deepEqual(Object.values(seen[0]?.params ?? {}), ['a/b'])
      files.close()
      const vite = await connect(url('/'), { protocols: 'vite-hmr' })
      assert.equal(await vite.next(), 'hmr')
      await assertStillOpen(vite, 100)
      vite.close()
    })

    test("an upgrade no Express route takes goes to roomcast's own routes, else 404", async () => {
      const { url } = await serve(express, (_app, wss) => {
        wss.on('/native', (conn) => conn.send('native'))
      })
      const native = await connect(url('/native'))
      assert.equal(await native.next(), 'native')
      native.close()
      assert.equal(await handshakeOutcome(url('/nowhere')), 404)
    })

    test("roomcast's own checks still apply after Express: origin 403, capacity 503", async () => {
      const { url } = await serve(
        express,
        (app) =>
          app.get(
            '/ws',
            websocket(() => {}),
          ),
        { allowedOrigins: ['https://app.example'], maxConnections: 1 },
      )
      assert.equal(
        await handshakeOutcome(url('/ws'), { headers: { origin: 'https://evil.example' } }),
        403,
      )
      const first = await connect(url('/ws'), { headers: { origin: 'https://app.example' } })
      assert.equal(
        await handshakeOutcome(url('/ws'), { headers: { origin: 'https://app.example' } }),
        503,
      )
      first.close()
      assert.equal((await closedOf(first)).code, 1005)
    })
  })
}
