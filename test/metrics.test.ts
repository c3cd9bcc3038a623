/** roomcast/metrics: what a scrape reports moves with real traffic on a real server. */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { describe, test } from 'node:test'
import WebSocket from 'ws'
import { createClient } from '../src/client/index.ts'
import { rawSocketOf } from '../src/connection/ws-internals.ts'
import {
  ClusterAdapter,
  createInProcessBus,
  createWebSocket,
  jwt,
  type RoomcastServer,
} from '../src/index.ts'
import { registerMetrics } from '../src/metrics.ts'
import { harness } from './helpers/capture.ts'
import { closedOf, connect, refusedStatus, type TestClient } from './helpers/client.ts'
import { nextJson } from './helpers/json.ts'
import { testRegistry } from './helpers/metrics.ts'
import { listenOnLoopback, recordingLogger, shutdown, startServer } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { eventually } from './helpers/timeout.ts'
import { SECRET, sign } from './helpers/tokens.ts'

const cleanups = cleanupsAfterEach()

/** A server on 127.0.0.1 closed after the test, with its metrics on a fresh registry. */
async function metered(setup: (wss: RoomcastServer) => void, options = {}) {
  const server = await startServer(options, setup)
  cleanups.push(() => server.close())
  const metrics = testRegistry()
  registerMetrics(server.wss, { registry: metrics.registry })
  const open = async (path: string, headers: Record<string, string> = {}) => {
    const client = await connect(server.url(path), { headers })
    cleanups.push(() => client.ws.terminate())
    return client
  }
  return { server, wss: server.wss, open, ...metrics }
}

describe('connections and handshakes', () => {
  test('open connections by route pattern, never the concrete URL; a route emptied reads 0', async () => {
    const { wss, open, readAll, server } = await metered((wss) => {
      wss.on('/chat/:room', (conn) => conn.join(conn.params.room ?? ''))
      wss.on('/feed', () => {})
    })
    const a = await open('/chat/a')
    await open('/chat/b')
    const feed = await open('/feed')
    await eventually(() => wss.getConnectionCount() === 3, 'three open')
    assert.deepEqual(
      await readAll(
        'roomcast_connections{route="/chat/:room"}',
        'roomcast_connections{route="/feed"}',
        'roomcast_connections{route="/chat/a"}',
        'roomcast_rooms',
      ),
      [2, 1, undefined, 2],
    )
    feed.close()
    a.close()
    await eventually(() => wss.getConnectionCount() === 1, 'two closed')
    assert.deepEqual(
      await readAll(
        'roomcast_connections{route="/chat/:room"}',
        'roomcast_connections{route="/feed"}',
        'roomcast_rooms',
      ),
      [1, 0, 1],
    )
    assert.equal(server.wss.getStats().connections, 1)
  })

  test('handshakes by status: 101 accepted, 401 and 404 refused', async () => {
    const { server, open, readAll } = await metered((wss) => wss.on('/ws', () => {}), {
      verifyClient: (request: { headers: Record<string, unknown> }) => !request.headers['x-deny'],
    })
    assert.deepEqual(
      await readAll(
        'roomcast_handshakes_total{status="101"}',
        'roomcast_handshakes_total{status="401"}',
      ),
      [0, undefined],
    )
    await open('/ws')
    assert.equal(await refusedStatus(server.url('/ws'), { headers: { 'x-deny': '1' } }), 401)
    assert.equal(await refusedStatus(server.url('/nowhere')), 404)
    assert.equal(await refusedStatus(server.url('/nowhere')), 404)
    assert.deepEqual(
      await readAll(
        'roomcast_handshakes_total{status="101"}',
        'roomcast_handshakes_total{status="401"}',
        'roomcast_handshakes_total{status="404"}',
      ),
      [1, 1, 2],
    )
  })

  test('connections a framework routed are labelled "(framework)"', async () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    const http = createServer()
    http.on('upgrade', (request, socket, head) =>
      wss.handleUpgrade(request, socket, head, { handler: () => {} }),
    )
    const port = await listenOnLoopback(http)
    cleanups.push(() => shutdown(wss, http))
    const { registry, read } = testRegistry()
    registerMetrics(wss, { registry })
    const client = await connect(`ws://127.0.0.1:${port}/rooms/42`)
    cleanups.push(() => client.ws.terminate())
    await eventually(() => wss.getConnectionCount() === 1, 'open')
    assert.equal(await read('roomcast_connections{route="(framework)"}'), 1)
    assert.equal(await read('roomcast_connections{route="/rooms/42"}'), undefined)
  })
})

describe('traffic', () => {
  test('messages and bytes in and out; each broadcast observed once, with the deliveries it made', async () => {
    const { wss, open, readAll } = await metered((wss) =>
      wss.on('/room', (conn) => {
        conn.join('r')
        conn.on('message', (text) => wss.broadcastToRoom('r', String(text)))
      }),
    )
    const clients = [await open('/room'), await open('/room')]
    await eventually(() => wss.getRoomConnections('r').length === 2, 'both joined')
    const [sender] = clients as [TestClient, TestClient]
    sender.send('hello')
    sender.send('world')
    for (const client of clients)
      assert.deepEqual([await client.next(), await client.next()], ['hello', 'world'])
    wss.getConnections()[0]?.send('direct') // a send, not a broadcast
    await eventually(() => wss.getStats().messagesOut === 5, 'direct send written')
    assert.deepEqual(
      await readAll(
        'roomcast_messages_received_total',
        'roomcast_bytes_received_total',
        'roomcast_messages_sent_total',
        'roomcast_bytes_sent_total',
        'roomcast_broadcast_deliveries_total',
        'roomcast_broadcast_duration_seconds_count',
        'roomcast_broadcast_duration_seconds_bucket{le="+Inf"}',
      ),
      [2, 10, 5, 26, 4, 2, 2],
    )
    const [sum] = await readAll('roomcast_broadcast_duration_seconds_sum')
    assert.ok(sum !== undefined && sum > 0 && sum < 1, `broadcast time ${sum} s`)
  })

  test('drops past maxBackpressure, and closes with policy close', async () => {
    const flood = async (wss: RoomcastServer, until: () => boolean) => {
      const body = 'x'.repeat(64 * 1024)
      for (let i = 0; i < 1000 && !until(); i++) {
        wss.broadcast(body)
        if (i % 8 === 7) await new Promise((resolve) => setImmediate(resolve))
      }
      assert.ok(until(), 'the flood reached the limit')
    }
    for (const policy of ['drop', 'close'] as const) {
      const h = await harness({ maxBackpressure: 256 * 1024, backpressurePolicy: policy })
      cleanups.push(() => h.close())
      const { registry, readAll } = testRegistry()
      registerMetrics(h.srv.wss, { registry })
      const slow = await h.open()
      rawSocketOf(slow.client.ws).pause()
      const stats = () => h.srv.wss.getStats()
      await flood(h.srv.wss, () => stats().messagesDropped + stats().closedForBackpressure > 0)
      const { messagesDropped } = stats()
      assert.deepEqual(
        await readAll('roomcast_messages_dropped_total', 'roomcast_backpressure_closes_total'),
        policy === 'drop' ? [messagesDropped, 0] : [0, 1],
      )
      assert.ok(policy === 'close' || messagesDropped > 0)
      rawSocketOf(slow.client.ws).resume()
    }
  })

  test('messages past a rateLimit', async () => {
    const { open, wss, read } = await metered((wss) => wss.on('/', () => {}), {
      rateLimit: { messages: 1, interval: 60_000 },
    })
    const client = await open('/')
    for (const text of ['1', '2', '3']) client.send(text)
    await eventually(() => wss.getStats().messagesRateLimited === 2, 'two limited')
    assert.equal(await read('roomcast_messages_rate_limited_total'), 2)
  })
})

describe('auth and recovery outcomes', () => {
  test('token refreshes by outcome, revocations, refused tokens as 401', async () => {
    const { server, wss, open, readAll } = await metered((wss) => wss.on('/', () => {}), {
      auth: jwt({ secret: SECRET }),
    })
    const client = await open(`/?token=${await sign({ sub: 'alice' })}`)
    const refresh = async (token: string, requestId: number) => {
      client.send(JSON.stringify({ type: 'system', action: 'refresh', data: { token }, requestId }))
      return ((await nextJson(client)) as { type: string }).type
    }
    assert.equal(await refresh(await sign({ sub: 'bob' }), 1), 'error')
    assert.equal(await refresh(await sign({ sub: 'alice' }), 2), 'system')
    assert.equal(await refusedStatus(server.url('/?token=garbage')), 401)
    assert.equal((await wss.revoke({ userId: 'alice' })).value, 1)
    assert.equal((await closedOf(client)).code, 4003)
    assert.deepEqual(
      await readAll(
        'roomcast_token_refreshes_total{outcome="accepted"}',
        'roomcast_token_refreshes_total{outcome="refused"}',
        'roomcast_connections_revoked_total',
        'roomcast_tokens_expired_total',
        'roomcast_handshakes_total{status="401"}',
      ),
      [1, 1, 1, 0, 1],
    )
  })

  test('session resumes: recovered after a dropped connection, fresh for an unknown session', async () => {
    const { server, wss, readAll } = await metered(
      (wss) => wss.on('/feed', (conn) => conn.recovered || conn.join('feed')),
      { history: { size: 100, ttl: 60_000 }, recovery: { maxDisconnection: 5000 } },
    )
    const resumes = () =>
      readAll(
        'roomcast_session_resumes_total{outcome="recovered"}',
        'roomcast_session_resumes_total{outcome="fresh"}',
      )
    const feed = createClient(server.url('/feed'), {
      WebSocket,
      reconnect: { initialDelay: 20, maxDelay: 100 },
    })
    cleanups.push(() => feed.close())
    const opened: boolean[] = []
    feed.on('open', ({ recovered }) => opened.push(recovered))
    await eventually(() => wss.getRoomConnections('feed').length === 1, 'joined')
    assert.deepEqual(await resumes(), [0, 0])
    for (const conn of wss.getConnections()) conn.terminate()
    await eventually(() => opened.length === 2, 'reopened', 5000)
    assert.deepEqual(opened, [false, true])
    assert.deepEqual(await resumes(), [1, 0])

    const stranger = await connect(server.url('/feed?roomcast=1&roomcast_session=unknown'))
    cleanups.push(() => stranger.ws.terminate())
    await eventually(() => wss.getConnectionCount() === 2, 'stranger open')
    await eventually(() => wss.getStats().connectionsTotal === 3, 'accepted')
    await stranger.next() // its session frame: the outcome is counted before it goes out
    assert.deepEqual(await resumes(), [1, 1])
  })
})

describe('the adapter', () => {
  test('publishes, health and nodes come from the adapter; degraded reads adapter_up 0', async () => {
    const bus = createInProcessBus()
    const node = async () => {
      const server = await startServer(
        { adapter: new ClusterAdapter({ transport: bus.transport() }) },
        (wss) => wss.on('/', (conn) => conn.join('r')),
      )
      server.wss.on('error', () => {})
      cleanups.push(() => server.close())
      await server.wss.ready()
      return server
    }
    const [a, b] = [await node(), await node()]
    const { registry, readAll } = testRegistry()
    registerMetrics(a.wss, { registry })
    const remote = await connect(b.url('/'))
    cleanups.push(() => remote.ws.terminate())
    await eventually(() => b.wss.getRoomConnections('r').length === 1, 'remote member')
    await a.wss.fetchRooms()
    a.wss.to('r').send('across')
    assert.equal(await remote.next(), 'across')
    const figures = () =>
      readAll(
        'roomcast_adapter_up',
        'roomcast_cluster_nodes',
        'roomcast_adapter_publishes_total',
        'roomcast_adapter_publish_failures_total',
        'roomcast_adapter_publishes_pending',
        'roomcast_adapter_publishes_dropped_total',
      )
    const healthOf = () => {
      const h = a.wss.health()
      return [
        h.status === 'ok' ? 1 : 0,
        h.nodes,
        h.publishes,
        h.publishFailures,
        h.publishesPending,
        h.publishesDropped,
      ]
    }
    assert.deepEqual(await figures(), healthOf())
    assert.equal(healthOf()[1], 2)
    assert.ok((healthOf()[2] ?? 0) > 0, 'the broadcast was published')
    const { latency } = a.wss.health()
    const [seconds] = await readAll('roomcast_adapter_latency_seconds')
    assert.equal(seconds, latency === undefined ? undefined : latency / 1000)

    bus.down('test')
    assert.deepEqual((await figures())[0], 0)
    assert.deepEqual(await figures(), healthOf())
    bus.up()
  })
})
