/** Sharing one http server: with another upgrade listener, with a second roomcast server. */
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { describe, test } from 'node:test'
import { WebSocketServer } from 'ws'
import { createWebSocket } from '../src/index.ts'
import { connect, handshakeOutcome } from './helpers/client.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { closeHttp, listenOnLoopback, recordingLogger } from './helpers/server.ts'

async function listen() {
  // Timeouts set, so attach() has no slowloris warning to log.
  const http = createServer({ headersTimeout: 10_000, requestTimeout: 60_000 }, (_req, res) =>
    res.writeHead(200).end('page'),
  )
  const port = await listenOnLoopback(http)
  return { http, port, close: () => closeHttp(http) }
}

describe('one http server, several upgrade listeners', () => {
  test("roomcast leaves another listener's paths alone and serves its own", async () => {
    const { http, port, close } = await listen()
    const other = new WebSocketServer({ noServer: true })
    http.on('upgrade', (req, socket, head) => {
      if (req.url !== '/hmr') return
      other.handleUpgrade(req, socket, head, (ws) => ws.send('from other'))
    })
    const wss = createWebSocket({ logger: recordingLogger() })
    wss.on('/chat', (conn) => conn.send('from roomcast'))
    wss.attach(http)
    try {
      const hmr = await connect(`ws://127.0.0.1:${port}/hmr`)
      assert.equal(await hmr.next(), 'from other')
      const chat = await connect(`ws://127.0.0.1:${port}/chat`)
      assert.equal(await chat.next(), 'from roomcast')
      assert.deepEqual(wss.getStats().handshakesRejected, {})
      hmr.close()
      chat.close()
    } finally {
      await wss.close()
      other.close()
      await close()
    }
  })

  for (const order of ['roomcast first', 'roomcast second'] as const) {
    test(`ignoreProtocols leaves a Vite-HMR-style socket on roomcast's own path to its owner (${order})`, async () => {
      const { http, port, close } = await listen()
      const hmr = new WebSocketServer({ noServer: true })
      const hmrListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (req.headers['sec-websocket-protocol'] !== 'vite-hmr') return
        hmr.handleUpgrade(req, socket, head, (ws) => ws.send('from hmr'))
      }
      const logger = recordingLogger()
      const wss = createWebSocket({ ignoreProtocols: ['vite-hmr', 'vite-ping'], logger })
      wss.on('/', (conn) => conn.send('from roomcast'))
      if (order === 'roomcast first') {
        wss.attach(http)
        http.on('upgrade', hmrListener)
      } else {
        http.on('upgrade', hmrListener)
        wss.attach(http)
      }
      try {
        const viteClient = await connect(`ws://127.0.0.1:${port}/`, { protocols: 'vite-hmr' })
        assert.equal(await viteClient.next(), 'from hmr')
        assert.equal(viteClient.ws.protocol, 'vite-hmr')
        const app = await connect(`ws://127.0.0.1:${port}/`)
        assert.equal(await app.next(), 'from roomcast')
        assert.equal(wss.getConnectionCount(), 1)
        assert.deepEqual(logger.entries, [], 'nothing was upgraded twice')
        viteClient.close()
        app.close()
      } finally {
        await wss.close()
        hmr.close()
        await close()
      }
    })
  }

  test('alone on a server, a handshake offering an ignored protocol gets 404', async () => {
    const { http, port, close } = await listen()
    const wss = createWebSocket({ ignoreProtocols: ['vite-hmr'], logger: recordingLogger() })
    wss.on('/', () => {})
    wss.attach(http)
    try {
      const request = upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'vite-hmr' })
      assert.equal(statusOf(await rawRequest(port, request)), 404)
      assert.equal(await handshakeOutcome(`ws://127.0.0.1:${port}/`), 101)
    } finally {
      await wss.close()
      await close()
    }
  })

  test('alone on a server, roomcast answers an unknown path with 404', async () => {
    const { http, port, close } = await listen()
    const wss = createWebSocket({ logger: recordingLogger() })
    wss.attach(http)
    try {
      assert.equal(statusOf(await rawRequest(port, upgradeRequest('/nope'))), 404)
    } finally {
      await wss.close()
      await close()
    }
  })

  test('two roomcast servers matching the same path: the first takes it, nothing crashes', async () => {
    const { http, port, close } = await listen()
    const loggerB = recordingLogger()
    const a = createWebSocket({ logger: recordingLogger() })
    const b = createWebSocket({ logger: loggerB })
    a.on('/', (conn) => conn.send('a'))
    b.on('/', (conn) => conn.send('b'))
    a.attach(http)
    b.attach(http)
    try {
      const client = await connect(`ws://127.0.0.1:${port}/`)
      assert.equal(await client.next(), 'a')
      assert.equal(a.getConnectionCount(), 1)
      assert.equal(b.getConnectionCount(), 0)
      assert.deepEqual(
        loggerB.entries.map((e) => e.message),
        ['roomcast: could not upgrade'],
      )
      client.send('still open')
      client.close()
    } finally {
      await a.close()
      await b.close()
      await close()
    }
  })
})

describe('wss.upgrade() and wildcard routes', () => {
  function callMiddleware(wss: ReturnType<typeof createWebSocket>, url: string) {
    const req = { url, headers: {} } as IncomingMessage
    let status = 0
    const res = {
      writeHead(code: number) {
        status = code
        return res
      },
      end() {},
    }
    let nextCalled = false
    wss.upgrade()(req, res as unknown as ServerResponse, () => {
      nextCalled = true
    })
    return { status, nextCalled }
  }

  test('a catch-all route does not turn every page into 426; an exact route does', () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    wss.on('*', () => {})
    wss.on('/ws', () => {})
    wss.on('/files/*', () => {})
    assert.deepEqual(callMiddleware(wss, '/index.html'), { status: 0, nextCalled: true })
    assert.deepEqual(callMiddleware(wss, '/files/a.txt'), { status: 0, nextCalled: true })
    assert.deepEqual(callMiddleware(wss, '/ws?x=1'), { status: 426, nextCalled: false })
  })
})
