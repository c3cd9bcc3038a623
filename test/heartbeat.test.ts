/** Heartbeat: one sweep timer per server, pings, pong bookkeeping, terminating silent clients. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import WebSocket from 'ws'
import type { WSConnection } from '../src/index.ts'
import { connect, type TestClient } from './helpers/client.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { closeAll } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

const HEARTBEAT = { heartbeatInterval: 40, clientTimeout: 200 }

let servers: TestServer[] = []
const clients: TestClient[] = []

afterEach(() => closeAll({ clients, servers }))

async function start(
  options: Parameters<typeof startServer>[0],
  onClose?: Array<{ id: string; code: number }>,
): Promise<TestServer> {
  const server = await startServer(
    {
      ...options,
      ...(onClose && { onClose: (conn, code) => void onClose.push({ id: conn.id, code }) }),
    },
    (wss) => wss.on('/hb', () => {}),
  )
  servers.push(server)
  return server
}

async function open(server: TestServer, options: { autoPong?: boolean } = {}): Promise<TestClient> {
  const client = await connect(server.url('/hb'), options)
  clients.push(client)
  return client
}

/** Resolves once the client has received `count` pings. */
function pings(ws: WebSocket, count: number, ms: number): Promise<number[]> {
  const times: number[] = []
  return within(
    new Promise((resolve) => {
      ws.on('ping', () => {
        times.push(Date.now())
        if (times.length === count) resolve(times)
      })
    }),
    ms,
    `${count} pings`,
  )
}

/** The server-side connection once the server has registered it. */
async function serverConnection(server: TestServer, index = 0): Promise<WSConnection> {
  await eventually(() => server.wss.getConnectionCount() > index, 'server-side connection', 2000)
  const conn = server.wss.getConnections()[index]
  assert.ok(conn)
  return conn
}

describe('heartbeat terminates clients that do not answer pings', () => {
  test('a client with autoPong: false is closed with 1006 on both sides', async () => {
    const closes: Array<{ id: string; code: number }> = []
    const server = await start(HEARTBEAT, closes)
    const silent = await open(server, { autoPong: false })
    const conn = await serverConnection(server)
    // Measured from the connection's own reference point (its opening, the last pong it had),
    // not from when the test saw it: a loaded machine may see it tens of ms late.
    const started = conn.lastPong

    const seen = await within(silent.closed, 2000, 'silent client closed')
    const elapsed = Date.now() - started

    assert.equal(seen.code, 1006)
    assert.equal(seen.reason, '')
    await eventually(() => closes.length > 0, 'server onClose', 1000)
    assert.deepEqual(closes, [{ id: conn.id, code: 1006 }])
    assert.equal(server.wss.getConnectionCount(), 0)
    // Last pong is the opening time; the first sweep past 200 ms terminates it (sweeps every 40 ms).
    assert.ok(elapsed >= 180, `terminated after ${elapsed} ms, before clientTimeout`)
    assert.ok(elapsed < 1000, `terminated after ${elapsed} ms`)
  })

  test('a client that answers stays open across 6 intervals while a silent one is dropped', async () => {
    const closes: Array<{ id: string; code: number }> = []
    const server = await start(HEARTBEAT, closes)
    const live = await open(server)
    const liveConn = await serverConnection(server, 0)
    const silent = await open(server, { autoPong: false })
    const silentConn = await serverConnection(server, 1)

    const times = await pings(live.ws, 6, 2000)

    assert.equal(times.length, 6)
    assert.equal(live.ws.readyState, WebSocket.OPEN)
    assert.equal(liveConn.isOpen, true)
    assert.equal((await within(silent.closed, 1000, 'silent closed')).code, 1006)
    await eventually(() => closes.length > 0, 'server onClose', 1000)
    assert.deepEqual(closes, [{ id: silentConn.id, code: 1006 }])
    assert.deepEqual(
      server.wss.getConnections().map((c) => c.id),
      [liveConn.id],
    )
  })
})

describe('pong bookkeeping', () => {
  test('isAlive is false after a ping and true again after the pong; lastPong advances', async () => {
    const server = await start(HEARTBEAT)
    const client = await open(server, { autoPong: false })
    const conn = await serverConnection(server)
    const openedAt = conn.lastPong
    assert.equal(conn.isAlive, true)

    const aliveAtPing = await within(
      new Promise<boolean>((resolve) => client.ws.once('ping', () => resolve(conn.isAlive))),
      1000,
      'first ping',
    )
    assert.equal(aliveAtPing, false)

    const pongSeen = new Promise<void>((resolve) => conn.once('pong', () => resolve()))
    client.ws.pong()
    await within(pongSeen, 1000, 'pong at the server')
    assert.equal(conn.isAlive, true)
    assert.ok(conn.lastPong > openedAt, `lastPong ${conn.lastPong} not after ${openedAt}`)
  })

  test('lastPong advances with every answered ping', async () => {
    const server = await start(HEARTBEAT)
    await open(server)
    const conn = await serverConnection(server)
    const stamps: number[] = [conn.lastPong]
    await within(
      new Promise<void>((resolve) => {
        conn.on('pong', () => {
          stamps.push(conn.lastPong)
          if (stamps.length === 4) resolve()
        })
      }),
      2000,
      '3 pongs',
    )
    assert.equal(stamps.length, 4)
    for (let i = 1; i < stamps.length; i++) {
      assert.ok(
        (stamps[i] as number) > (stamps[i - 1] as number),
        `lastPong did not advance: ${stamps}`,
      )
    }
  })
})

describe('heartbeatInterval: 0', () => {
  test('sends no pings and never terminates', async () => {
    const closes: Array<{ id: string; code: number }> = []
    const server = await start({ heartbeatInterval: 0, clientTimeout: 100 }, closes)
    const client = await open(server, { autoPong: false })
    let received = 0
    client.ws.on('ping', () => received++)

    await delay(200)

    assert.equal(received, 0)
    assert.equal(client.ws.readyState, WebSocket.OPEN)
    assert.equal(server.wss.getConnectionCount(), 1)
    assert.deepEqual(closes, [])
  })
})

describe('one heartbeat timer per server', () => {
  test('10 connections create exactly 1 unref()ed interval, cleared by close()', async () => {
    const realSetInterval = globalThis.setInterval
    const realClearInterval = globalThis.clearInterval
    const created: Array<{ ms: number | undefined; timer: NodeJS.Timeout }> = []
    const cleared: unknown[] = []
    const server = await start(HEARTBEAT)
    try {
      globalThis.setInterval = ((callback: () => void, ms?: number) => {
        const timer = realSetInterval(callback, ms)
        created.push({ ms, timer })
        return timer
      }) as typeof setInterval
      globalThis.clearInterval = ((timer: NodeJS.Timeout | undefined) => {
        cleared.push(timer)
        realClearInterval(timer)
      }) as typeof clearInterval

      for (let i = 0; i < 10; i++) await open(server)
      await serverConnection(server, 9)
      await pings(clients[9]?.ws as WebSocket, 1, 1000)

      assert.equal(server.wss.getConnectionCount(), 10)
      assert.deepEqual(
        created.map((c) => c.ms),
        [40],
      )
      const timer = created[0]?.timer
      assert.equal(timer?.hasRef(), false)

      for (const client of clients) client.ws.terminate()
      await server.close()
      servers = []
      assert.equal(cleared.filter((t) => t === timer).length, 1)
      assert.equal(created.length, 1)
    } finally {
      globalThis.setInterval = realSetInterval
      globalThis.clearInterval = realClearInterval
    }
  })
})
