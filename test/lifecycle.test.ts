/** Server lifecycle: close(), closeAll(), attach(), several servers, and a process that exits by itself. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { createWebSocket, RoomcastError, type WebSocketOptions } from '../src/index.ts'
import { connectInto, refusedStatus, type TestClient } from './helpers/client.ts'
import { rawUpgrade, upgradeRequest } from './helpers/raw-socket.ts'
import {
  closeHttp,
  listenOnLoopback,
  recordingLogger,
  startServer,
  type TestServer,
} from './helpers/server.ts'
import { closeAll } from './helpers/teardown.ts'
import { eventually, within } from './helpers/timeout.ts'

const servers: TestServer[] = []
const clients: TestClient[] = []
const sockets: Socket[] = []
const httpServers: Server[] = []

after(async () => {
  await closeAll({ clients, sockets, servers })
  for (const http of httpServers) await closeHttp(http)
})

/** A server with an echo route on `/echo` that records onClose. */
async function echoServer(options: WebSocketOptions = {}) {
  const closes: Array<{ id: string; code: number; reason: string }> = []
  const server = await startServer(
    {
      onClose: (conn, code, reason) => void closes.push({ id: conn.id, code, reason }),
      ...options,
    },
    (wss) => wss.on('/echo', (conn) => conn.on('message', (data) => conn.send(data))),
  )
  servers.push(server)
  return { server, closes }
}

const open = connectInto(clients)

/** Completes the upgrade by hand, then ignores everything the server sends. */
async function deafClient(port: number, path: string): Promise<Socket> {
  const { socket, head } = await rawUpgrade(port, upgradeRequest(path), sockets)
  assert.equal(head.split('\r\n')[0], 'HTTP/1.1 101 Switching Protocols')
  return socket
}

async function listen(): Promise<{ http: Server; port: number }> {
  const http = createServer((_req, res) => res.writeHead(404).end())
  httpServers.push(http)
  return { http, port: await listenOnLoopback(http) }
}

describe('close()', () => {
  test('sends 1001 to every open client, resolves, and removes its upgrade listener', async () => {
    const { server, closes } = await echoServer()
    const a = await open(server.url('/echo'))
    const b = await open(server.url('/echo'))
    const c = await open(server.url('/echo'))
    assert.equal(server.http.listenerCount('upgrade'), 1)

    await within(server.wss.close(), 2000, 'close()')

    for (const client of [a, b, c]) {
      assert.equal((await within(client.closed, 1000, 'client closed')).code, 1001)
    }
    assert.deepEqual(
      closes.map((c) => c.code),
      [1001, 1001, 1001],
    )
    assert.equal(server.wss.getConnectionCount(), 0)
    assert.equal(server.http.listenerCount('upgrade'), 0)
  })

  test('is idempotent: every call returns the same promise and all resolve', async () => {
    const { server } = await echoServer()
    const client = await open(server.url('/echo'))
    const first = server.wss.close()
    const second = server.wss.close()
    assert.equal(second, first)
    const results = await within(Promise.all([first, second]), 2000, 'both close() calls')
    assert.deepEqual(results, [undefined, undefined])
    assert.equal(server.wss.close(), first)
    await within(server.wss.close(), 1000, 'close() after close()')
    assert.equal((await within(client.closed, 1000, 'client closed')).code, 1001)
    assert.equal(server.http.listenerCount('upgrade'), 0)
  })

  test('handshakes that arrive or finish verifying while closing get 503', async () => {
    let release: (accepted: boolean) => void = () => {}
    let verifying = false
    const { server } = await echoServer({
      closeTimeout: 500,
      verifyClient: (req) => {
        if (req.url !== '/echo?slow') return true
        verifying = true
        return new Promise<boolean>((resolve) => {
          release = resolve
        })
      },
    })
    // A client that does not read holds close() open until closeTimeout.
    const stalled = await open(server.url('/echo'))
    stalled.ws.pause()
    const slow = refusedStatus(server.url('/echo?slow'))
    await eventually(() => verifying, 'verifyClient called', 1000)

    const closing = server.wss.close()
    assert.equal(await refusedStatus(server.url('/echo')), 503)
    release(true)
    assert.equal(await slow, 503)
    assert.deepEqual(server.wss.getStats().handshakesRejected, { 503: 2 })
    assert.equal(server.wss.getStats().connectionsTotal, 1)

    await within(closing, 2000, 'close()')
    assert.equal(server.wss.getConnectionCount(), 0)
  })

  test('a client that never answers the closing handshake is terminated after closeTimeout', async () => {
    const { server, closes } = await echoServer({ closeTimeout: 100 })
    const polite = await open(server.url('/echo'))
    const deaf = await deafClient(server.port, '/echo')
    const deafGone = new Promise<void>((resolve) => deaf.once('close', () => resolve()))
    deaf.resume()
    deaf.on('data', () => {})
    await eventually(() => server.wss.getConnectionCount() === 2, 'both connected', 1000)

    const started = Date.now()
    await within(server.wss.close(), 2000, 'close()')
    const elapsed = Date.now() - started

    assert.ok(elapsed >= 90, `close() resolved after ${elapsed} ms, before closeTimeout`)
    assert.ok(elapsed < 2000, `close() resolved after ${elapsed} ms`)
    assert.equal((await within(polite.closed, 1000, 'polite closed')).code, 1001)
    await within(deafGone, 1000, 'deaf socket destroyed by the server')
    assert.deepEqual(closes.map((c) => c.code).sort(), [1001, 1006])
    assert.equal(server.wss.getConnectionCount(), 0)
    assert.equal(server.http.listenerCount('upgrade'), 0)
  })

  test('conn.close() to a client that never answers is cut off after closeTimeout too (1006)', async () => {
    const { server, closes } = await echoServer({ closeTimeout: 150 })
    const deaf = await deafClient(server.port, '/echo')
    const deafGone = new Promise<void>((resolve) => deaf.once('close', () => resolve()))
    deaf.resume()
    deaf.on('data', () => {})
    await eventually(() => server.wss.getConnectionCount() === 1, 'connected', 1000)
    const started = Date.now()
    server.wss.getConnections()[0]?.close(1000, 'bye')
    await within(deafGone, 1500, 'the server cut the socket off')
    const elapsed = Date.now() - started
    assert.ok(elapsed >= 140, `cut off after ${elapsed} ms, before closeTimeout`)
    assert.ok(elapsed < 1000, `cut off after ${elapsed} ms (ws alone waits 30 s)`)
    await eventually(() => closes.length === 1, 'onClose')
    assert.deepEqual(
      closes.map((c) => c.code),
      [1006],
    )
  })

  test('attach() after close() throws ERR_SERVER_CLOSED', async () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    const { http } = await listen()
    await within(wss.close(), 1000, 'close()')
    assert.throws(
      () => wss.attach(http),
      (error: unknown) =>
        error instanceof RoomcastError &&
        error.code === 'ERR_SERVER_CLOSED' &&
        error.name === 'RoomcastError',
    )
    assert.equal(http.listenerCount('upgrade'), 0)
  })
})

describe('closeAll()', () => {
  test('closes every client with exactly 4000/"bye" and keeps accepting', async () => {
    const { server, closes } = await echoServer()
    const all = [
      await open(server.url('/echo')),
      await open(server.url('/echo')),
      await open(server.url('/echo')),
    ]

    server.wss.closeAll(4000, 'bye')

    for (const client of all) {
      assert.deepEqual(await within(client.closed, 1000, 'client closed'), {
        code: 4000,
        reason: 'bye',
      })
    }
    await eventually(() => closes.length === 3, 'onClose x3', 1000)
    assert.deepEqual(
      closes.map(({ code, reason }) => ({ code, reason })),
      Array(3).fill({ code: 4000, reason: 'bye' }),
    )
    const later = await open(server.url('/echo'))
    later.send('welcome back')
    assert.equal(await later.next(), 'welcome back')
    assert.equal(server.wss.getConnectionCount(), 1)
    assert.equal(server.http.listenerCount('upgrade'), 1)
  })
})

describe('attach() to several http servers', () => {
  test('clients on both work and broadcasts reach both; close() detaches from both', async () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    wss.on('/echo', (conn) => conn.on('message', (data) => conn.send(data)))
    const one = await listen()
    const two = await listen()
    wss.attach(one.http).attach(two.http)
    try {
      const a = await open(`ws://127.0.0.1:${one.port}/echo`)
      const b = await open(`ws://127.0.0.1:${two.port}/echo`)
      a.send('on one')
      b.send('on two')
      assert.equal(await a.next(), 'on one')
      assert.equal(await b.next(), 'on two')

      assert.equal(wss.broadcast('to all'), 2)
      assert.equal(await a.next(), 'to all')
      assert.equal(await b.next(), 'to all')
      assert.equal(wss.getConnectionCount(), 2)
    } finally {
      await within(wss.close(), 2000, 'close()')
    }
    assert.equal(one.http.listenerCount('upgrade'), 0)
    assert.equal(two.http.listenerCount('upgrade'), 0)
  })
})

describe('two servers in one process', () => {
  test('rooms, broadcasts, connection counts and stats are separate', async () => {
    const start = async () => {
      const server = await startServer({}, (wss) =>
        wss.on('/room/:name', (conn) => {
          const room = conn.params.name as string
          conn.join(room)
          conn.on('message', (data) => conn.broadcast(room, data))
        }),
      )
      servers.push(server)
      return server
    }
    const first = await start()
    const second = await start()
    const a1 = await open(first.url('/room/lobby'))
    const a2 = await open(first.url('/room/lobby'))
    const b1 = await open(second.url('/room/lobby'))
    await eventually(
      () => first.wss.getRoomConnections('lobby').length === 2,
      'first lobby has 2 members',
      1000,
    )
    await eventually(
      () => second.wss.getRoomConnections('lobby').length === 1,
      'second lobby has 1 member',
      1000,
    )

    assert.equal(first.wss.getConnectionCount(), 2)
    assert.equal(second.wss.getConnectionCount(), 1)
    assert.deepEqual(first.wss.getRooms(), ['lobby'])
    assert.deepEqual(second.wss.getRooms(), ['lobby'])

    // conn.broadcast on the first server reaches its room only.
    a1.send('from a1')
    assert.equal(await a2.next(), 'from a1')
    await b1.nothingWithin(50)

    assert.equal(first.wss.broadcastToRoom('lobby', 'first room'), 2)
    assert.equal(await a1.next(), 'first room')
    assert.equal(await a2.next(), 'first room')
    await b1.nothingWithin(50)

    assert.equal(second.wss.broadcast('second all'), 1)
    assert.equal(await b1.next(), 'second all')
    await a1.nothingWithin(50)
    await a2.nothingWithin(0)

    const firstStats = first.wss.getStats()
    const secondStats = second.wss.getStats()
    assert.equal(firstStats.connections, 2)
    assert.equal(firstStats.connectionsTotal, 2)
    assert.equal(firstStats.messagesIn, 1)
    assert.equal(firstStats.messagesOut, 3)
    assert.equal(secondStats.connections, 1)
    assert.equal(secondStats.connectionsTotal, 1)
    assert.equal(secondStats.messagesIn, 0)
    assert.equal(secondStats.messagesOut, 1)

    // Closing one leaves the other serving.
    await within(first.wss.close(), 2000, 'first close()')
    assert.equal(first.wss.getConnectionCount(), 0)
    assert.equal(second.wss.getConnectionCount(), 1)
    assert.equal(b1.ws.readyState, WebSocket.OPEN)
    assert.equal(second.wss.broadcastToRoom('lobby', 'still here'), 1)
    assert.equal(await b1.next(), 'still here')
  })
})

describe('the process can exit on its own', () => {
  test('after close() a child with heartbeat on exits with code 0, unprompted', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/exit-on-its-own.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    let code: number | null
    try {
      code = await within(exited, 5000, 'child exit')
    } catch (error) {
      child.kill('SIGKILL')
      await exited
      throw error
    }
    assert.equal(stderr, '')
    assert.equal(code, 0)
    assert.deepEqual(JSON.parse(stdout), { echo: 'hello', code: 1000, upgradeListeners: 0 })
  })
})
