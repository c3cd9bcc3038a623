/** Wiring: withWebSocket(), slowloris limits, wss.upgrade() middleware, hand-wired handleUpgrade, https. */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  IncomingMessage,
  type RequestListener,
  type Server,
  ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import { type AddressInfo, connect as netConnect, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  createWebSocket,
  type RoomcastServer,
  type WebSocketAwareRequest,
  type WebSocketOptions,
  withWebSocket,
} from '../src/index.ts'
import { connect, refusedStatus } from './helpers/client.ts'
import { upgradeRequest } from './helpers/raw-socket.ts'
import { listenOnLoopback, recordingLogger, shutdown } from './helpers/server.ts'
import { within } from './helpers/timeout.ts'

/** A server whose `/ws` route echoes with a prefix. */
function echoServer(options: WebSocketOptions = {}): RoomcastServer {
  const wss = createWebSocket({ logger: recordingLogger(), ...options })
  wss.on('/ws', (conn) => {
    conn.on('message', (m) => {
      conn.send(`echo:${m}`)
    })
  })
  return wss
}

const portOf = (server: Server | HttpsServer) => (server.address() as AddressInfo).port

interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** One HTTP request on its own connection (no keep-alive agent left behind). */
function fetchHttp(port: number, method: string, path: string, body?: string): Promise<HttpResult> {
  return within(
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, method, path, agent: false, headers: { Connection: 'close' } },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            text += chunk
          })
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          )
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    }),
    3000,
    `${method} ${path}`,
  )
}

describe('withWebSocket()', () => {
  test('serves a request listener over HTTP and WebSocket upgrades on a wss.on() route', async () => {
    const wss = echoServer()
    const app: RequestListener = (req, res) => res.end(`app:${req.method} ${req.url}`)
    const server = await withWebSocket(app, wss, 0, '127.0.0.1')
    try {
      assert.equal(server.listening, true)
      const port = portOf(server)
      const res = await fetchHttp(port, 'GET', '/hello?x=1')
      assert.equal(res.status, 200)
      assert.equal(res.body, 'app:GET /hello?x=1')
      const client = await connect(`ws://127.0.0.1:${port}/ws`)
      client.send('ping')
      assert.equal(await client.next(), 'echo:ping')
      assert.equal(wss.getConnectionCount(), 1)
      client.close()
      assert.equal((await within(client.closed, 2000, 'client close')).code, 1005)
      assert.equal(await refusedStatus(`ws://127.0.0.1:${port}/nowhere`), 404)
    } finally {
      await shutdown(wss, server)
    }
  })

  test('accepts a Koa-style app with callback()', async () => {
    const wss = echoServer()
    let callbacks = 0
    const koaLike = {
      callback(): RequestListener {
        callbacks++
        return (_req, res) => {
          res.writeHead(201, { 'Content-Type': 'text/plain' })
          res.end('koa')
        }
      },
    }
    const server = await withWebSocket(koaLike, wss, 0, '127.0.0.1')
    try {
      const port = portOf(server)
      assert.equal(callbacks, 1)
      const res = await fetchHttp(port, 'GET', '/')
      assert.equal(res.status, 201)
      assert.equal(res.body, 'koa')
      const client = await connect(`ws://127.0.0.1:${port}/ws`)
      client.send('k')
      assert.equal(await client.next(), 'echo:k')
      client.close()
      await within(client.closed, 2000, 'client close')
    } finally {
      await shutdown(wss, server)
    }
  })

  test('defaults to headersTimeout 10000 and requestTimeout 60000', async () => {
    const wss = echoServer()
    const server = await withWebSocket((_req, res) => res.end(), wss, 0, '127.0.0.1')
    try {
      assert.equal(server.headersTimeout, 10_000)
      assert.equal(server.requestTimeout, 60_000)
    } finally {
      await shutdown(wss, server)
    }
  })

  test('cuts off a client trickling upgrade headers while a normal client still connects', async () => {
    const wss = echoServer()
    const server = await withWebSocket((_req, res) => res.end(), wss, 0, '127.0.0.1', {
      headersTimeout: 400,
    })
    const port = portOf(server)
    const text = upgradeRequest('/ws', { 'X-Padding': 'p'.repeat(200) })
    const socket = netConnect(port, '127.0.0.1')
    let timer: NodeJS.Timeout | undefined
    try {
      assert.equal(server.headersTimeout, 400)
      let response = ''
      let sent = 0
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => {
        response += chunk
      })
      socket.on('error', () => {})
      const started = Date.now()
      const closed = new Promise<number>((resolve) => {
        socket.on('close', () => resolve(Date.now() - started))
      })
      await within(
        new Promise<void>((resolve) => socket.once('connect', resolve)),
        2000,
        'raw connect',
      )
      // One byte every 50 ms: the whole request would take over 10 s; headers never end.
      timer = setInterval(() => {
        if (sent < text.length - 4 && !socket.destroyed) socket.write(text[sent++] ?? '')
      }, 50)

      const client = await connect(`ws://127.0.0.1:${port}/ws`)
      client.send('meanwhile')
      assert.equal(await client.next(), 'echo:meanwhile')
      client.close()
      await within(client.closed, 2000, 'client close')

      const elapsed = await within(closed, 1500, 'slowloris cut-off')
      assert.ok(elapsed >= 350, `cut off after ${elapsed} ms, before headersTimeout`)
      assert.ok(sent < text.length - 4, 'the trickled headers never completed')
      assert.match(response, /^HTTP\/1\.1 408 /)
      assert.equal(wss.getConnectionCount(), 0)
    } finally {
      clearInterval(timer)
      socket.destroy()
      await shutdown(wss, server)
    }
  })
})

describe('wss.upgrade() middleware', () => {
  let wss: RoomcastServer
  let server: Server
  let port: number
  const seen: Array<{ url: string; isWebSocket: unknown; sameServer: boolean }> = []

  before(async () => {
    wss = createWebSocket({ logger: recordingLogger() })
    wss.on('/ws', (conn) => {
      const room = conn.query.get('room')
      if (room) conn.join(room)
    })
    const middleware = wss.upgrade()
    server = createServer((req, res) => {
      // Called the way Connect calls middleware: (req, res, next).
      middleware(req, res, (error?: unknown) => {
        assert.equal(error, undefined)
        const aware = req as WebSocketAwareRequest
        seen.push({
          url: req.url ?? '',
          isWebSocket: aware.isWebSocket,
          sameServer: aware.wss === wss,
        })
        const url = new URL(req.url ?? '/', 'http://localhost')
        if (req.method === 'GET' && url.pathname === '/stats') {
          res.end(JSON.stringify(aware.wss.getStats()))
        } else if (req.method === 'POST' && url.pathname === '/announce') {
          let body = ''
          req.setEncoding('utf8')
          req.on('data', (chunk: string) => {
            body += chunk
          })
          req.on('end', () => {
            const reached = aware.wss.broadcastToRoom(url.searchParams.get('room') ?? '', body)
            res.end(String(reached))
          })
        } else {
          res.end(`page:${url.pathname}`)
        }
      })
    })
    wss.attach(server)
    port = await listenOnLoopback(server)
  })

  after(() => shutdown(wss, server))

  test('sets req.isWebSocket=false and req.wss on a normal request, then calls next', async () => {
    seen.length = 0
    const res = await fetchHttp(port, 'GET', '/about')
    assert.equal(res.status, 200)
    assert.equal(res.body, 'page:/about')
    assert.deepEqual(seen, [{ url: '/about', isWebSocket: false, sameServer: true }])
  })

  test('sets req.isWebSocket=true on a request asking for an upgrade', () => {
    const middleware = wss.upgrade()
    const req = new IncomingMessage(new Socket())
    req.method = 'GET'
    req.url = '/ws'
    req.headers = { upgrade: 'WebSocket', connection: 'Upgrade' }
    let nextCalls = 0
    middleware(req, new ServerResponse(req), () => {
      nextCalls++
    })
    assert.equal(nextCalls, 1)
    assert.equal((req as WebSocketAwareRequest).isWebSocket, true)
    assert.equal((req as WebSocketAwareRequest).wss, wss)
  })

  test('an HTTP route reads stats and broadcasts to a room of WebSocket clients', async () => {
    const a = await connect(`ws://127.0.0.1:${port}/ws?room=news`)
    const b = await connect(`ws://127.0.0.1:${port}/ws?room=news`)
    const other = await connect(`ws://127.0.0.1:${port}/ws?room=sport`)
    try {
      await within(
        (async () => {
          while (wss.getRoomConnections('news').length < 2 || wss.getRooms().length < 2) {
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })(),
        2000,
        'clients joined their rooms',
      )
      const stats = await fetchHttp(port, 'GET', '/stats')
      assert.equal(stats.status, 200)
      const parsed = JSON.parse(stats.body) as { connections: number; rooms: number }
      assert.equal(parsed.connections, 3)
      assert.equal(parsed.rooms, 2)

      const res = await fetchHttp(port, 'POST', '/announce?room=news', 'breaking')
      assert.equal(res.status, 200)
      assert.equal(res.body, '2')
      assert.equal(await a.next(), 'breaking')
      assert.equal(await b.next(), 'breaking')
      await other.nothingWithin(100)
    } finally {
      for (const c of [a, b, other]) c.close()
      await within(Promise.all([a.closed, b.closed, other.closed]), 2000, 'clients closed')
    }
  })

  test('answers 426 with Upgrade: websocket to a plain GET on a wss.on() route', async () => {
    seen.length = 0
    for (const path of ['/ws', '/ws?room=news']) {
      const res = await fetchHttp(port, 'GET', path)
      assert.equal(res.status, 426, path)
      assert.equal(res.headers.upgrade, 'websocket')
      assert.equal(res.headers.connection, 'Upgrade')
      assert.equal(res.body, 'This path only accepts WebSocket connections')
    }
    assert.deepEqual(seen, [])
  })

  test('passes a plain GET on the default path "/" (not a wss.on() route) to next', async () => {
    seen.length = 0
    for (const path of ['/', '/?tab=2']) {
      const res = await fetchHttp(port, 'GET', path)
      assert.equal(res.status, 200, path)
      assert.equal(res.body, 'page:/')
    }
    assert.deepEqual(seen, [
      { url: '/', isWebSocket: false, sameServer: true },
      { url: '/?tab=2', isWebSocket: false, sameServer: true },
    ])
    // '/' still accepts WebSocket upgrades through the default `path` option.
    const client = await connect(`ws://127.0.0.1:${port}/`)
    client.close()
    assert.equal((await within(client.closed, 2000, 'client close')).code, 1005)
  })
})

describe('wss.handleUpgrade() wired by hand', () => {
  test('completes handshakes from an upgrade listener and writes rejections', async () => {
    const wss = echoServer({ allowedOrigins: 'http://allowed.test' })
    const server = createServer((_req, res) => res.writeHead(404).end())
    let upgrades = 0
    server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      upgrades++
      wss.handleUpgrade(req, socket, head)
    })
    const port = await listenOnLoopback(server)
    try {
      const client = await connect(`ws://127.0.0.1:${port}/ws`, { origin: 'http://allowed.test' })
      client.send('hand')
      assert.equal(await client.next(), 'echo:hand')
      client.close()
      await within(client.closed, 2000, 'client close')

      const origin = 'http://allowed.test'
      assert.equal(await refusedStatus(`ws://127.0.0.1:${port}/missing`, { origin }), 404)
      assert.equal(await refusedStatus(`ws://127.0.0.1:${port}/ws`, { origin: 'http://x' }), 403)
      assert.equal(upgrades, 3)
      const stats = wss.getStats()
      assert.equal(stats.connectionsTotal, 1)
      assert.deepEqual(stats.handshakesRejected, { 403: 1, 404: 1 })
    } finally {
      await shutdown(wss, server)
    }
  })
})

/** Runs openssl to make a throwaway self-signed certificate. */
function makeCertificate(dir: string): Promise<{ key: Buffer; cert: Buffer }> {
  const keyPath = join(dir, 'key.pem')
  const certPath = join(dir, 'cert.pem')
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']
  args.push('-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1')
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 10_000 }, (error, _stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        return reject(new Error('The https test needs the `openssl` CLI on PATH; install openssl'))
      }
      if (error) return reject(new Error(`openssl failed: ${stderr}`, { cause: error }))
      resolve({ key: readFileSync(keyPath), cert: readFileSync(certPath) })
    })
  })
}

describe('https', () => {
  test('attaches to an https server and exchanges messages over wss://', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roomcast-tls-'))
    try {
      const tls = await within(makeCertificate(dir), 12_000, 'openssl')
      const wss = echoServer()
      const server = createHttpsServer(tls, (_req, res) => res.end('secure page'))
      wss.attach(server)
      const port = await listenOnLoopback(server)
      try {
        const client = await connect(`wss://127.0.0.1:${port}/ws`, { rejectUnauthorized: false })
        client.send('over tls')
        assert.equal(await client.next(), 'echo:over tls')
        const [conn] = wss.getConnections()
        assert.equal(wss.getConnectionCount(), 1)
        assert.equal(conn?.url, '/ws')
        client.close(1000, 'bye')
        assert.deepEqual(await within(client.closed, 2000, 'client close'), {
          code: 1000,
          reason: 'bye',
        })
        assert.equal(
          await refusedStatus(`wss://127.0.0.1:${port}/nope`, { rejectUnauthorized: false }),
          404,
        )
      } finally {
        await shutdown(wss, server)
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
