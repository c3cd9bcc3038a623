/** roomcast/metrics: options, one registration per registry and prefix, unregister, and the HTTP scrape handler. */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { describe, test } from 'node:test'
import { Gauge, type OpenMetricsContentType, Registry, register } from 'prom-client'
import { createWebSocket, ErrorCode, type RoomcastServer } from '../src/index.ts'
import { DEFAULT_BROADCAST_BUCKETS, metricsHandler, registerMetrics } from '../src/metrics.ts'
import { connect } from './helpers/client.ts'
import { sample, testRegistry } from './helpers/metrics.ts'
import { closeHttp, listenOnLoopback, recordingLogger, startServer } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { eventually } from './helpers/timeout.ts'

const cleanups = cleanupsAfterEach()

/** A server nobody connects to: registration alone needs no socket. */
function idleServer(): RoomcastServer {
  const wss = createWebSocket({ logger: recordingLogger() })
  cleanups.push(() => wss.close())
  return wss
}

/** A listening server with one client on `/x`, for series that need a connection. */
async function connected() {
  const server = await startServer({}, (wss) => wss.on('/x', (conn) => conn.join('r')))
  cleanups.push(() => server.close())
  const client = await connect(server.url('/x'))
  cleanups.push(() => client.ws.terminate())
  await eventually(() => server.wss.getConnectionCount() === 1, 'open')
  return { server, wss: server.wss, client }
}

describe('options', () => {
  test('unknown keys and malformed values are refused before anything is registered', () => {
    const wss = idleServer()
    const registry = new Registry()
    const refused = (options: object, message: string) =>
      assert.throws(() => registerMetrics(wss, { registry, ...options } as never), {
        code: ErrorCode.InvalidOption,
        message,
      })
    refused(
      { prefixes: 'x_' },
      'registerMetrics: Unknown option "prefixes": did you mean "prefix"?',
    )
    refused(
      { prefix: '1x' },
      'Invalid option "prefix": expected a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got "1x"',
    )
    refused(
      { labels: { route: 'a' } },
      'Invalid option "labels.route": expected a name other than route, status, outcome, le, got "route"',
    )
    refused(
      { labels: { 'bad-name': 'a' } },
      'Invalid option "labels.bad-name": expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*), got "bad-name"',
    )
    refused({ labels: { node: 7 } }, 'Invalid option "labels.node": expected a string, got 7')
    refused(
      { broadcastBuckets: [0.1, 0.01] },
      'Invalid option "broadcastBuckets": expected increasing positive numbers of seconds, got 0.1,0.01',
    )
    refused(
      { registry: {} },
      'Invalid option "registry": expected a prom-client Registry, got [object Object]',
    )
    assert.deepEqual(registry.getMetricsAsArray(), [])
    assert.throws(() => registerMetrics({} as RoomcastServer), {
      name: 'TypeError',
      message: 'registerMetrics(wss): wss must be a server made by createWebSocket()',
    })
  })

  test('a prefix, constant labels and buckets of your own', async () => {
    const { wss } = await connected()
    const { registry, readAll } = testRegistry()
    registerMetrics(wss, {
      registry,
      prefix: 'chat_',
      labels: { server: 'edge' },
      broadcastBuckets: [0.5, 1],
    })
    assert.deepEqual(
      await readAll(
        'chat_connections{server="edge",route="/x"}',
        'chat_broadcast_duration_seconds_count{server="edge"}',
        'roomcast_connections{route="/x"}',
      ),
      [1, 0, undefined],
    )
    wss.to('r').send('hi')
    assert.deepEqual(
      await readAll(
        'chat_broadcast_duration_seconds_count{server="edge"}',
        'chat_broadcast_duration_seconds_bucket{le="0.5",server="edge"}',
        'chat_broadcast_duration_seconds_bucket{le="+Inf",server="edge"}',
        'chat_broadcast_deliveries_total{server="edge"}',
      ),
      [1, 1, 1, 1],
    )
  })

  test('the default buckets reach from 10 µs to 250 ms', async () => {
    const { wss } = await connected()
    const { registry } = testRegistry()
    registerMetrics(wss, { registry })
    const text = await registry.metrics()
    const bounds = [...text.matchAll(/roomcast_broadcast_duration_seconds_bucket\{le="([^"]+)"\}/g)]
    assert.deepEqual(
      bounds.map((m) => m[1]),
      [...DEFAULT_BROADCAST_BUCKETS.map(String), '+Inf'],
    )
    assert.equal(DEFAULT_BROADCAST_BUCKETS[0], 0.00001)
    assert.equal(DEFAULT_BROADCAST_BUCKETS.at(-1), 0.25)
  })
})

describe('registration', () => {
  test('the same prefix twice on one registry is refused, naming the clash; unregister frees it', async () => {
    const { wss } = await connected()
    const other = idleServer()
    const { registry, read } = testRegistry()
    const first = registerMetrics(wss, { registry })
    const clash = {
      code: ErrorCode.InvalidOption,
      message:
        'registerMetrics: "roomcast_connections" is already registered on this registry: unregister() the earlier registration, or pass another prefix or registry',
    }
    assert.throws(() => registerMetrics(other, { registry }), clash)
    assert.throws(() => registerMetrics(wss, { registry }), clash)
    const count = registry.getMetricsAsArray().length
    assert.equal(count, first.names.length)
    // Another prefix, or another registry, is another set of names.
    const second = registerMetrics(other, { registry, prefix: 'admin_' })
    assert.equal(registry.getMetricsAsArray().length, count * 2)
    assert.equal(await read('roomcast_connections{route="/x"}'), 1)

    first.unregister()
    first.unregister()
    assert.equal(registry.getSingleMetric('roomcast_connections'), undefined)
    assert.equal(registry.getMetricsAsArray().length, count)
    const again = registerMetrics(wss, { registry })
    assert.equal(await read('roomcast_connections{route="/x"}'), 1)
    again.unregister()
    second.unregister()
    assert.deepEqual(registry.getMetricsAsArray(), [])
  })

  test('unregister stops the broadcast timer; a registry cleared meanwhile keeps the names it was given', async () => {
    const { wss } = await connected()
    const { registry } = testRegistry()
    const registration = registerMetrics(wss, { registry })
    assert.equal(wss.instrumentation.observer !== undefined, true)
    registry.clear()
    const theirs = new Gauge({ name: 'roomcast_rooms', help: 'not ours', registers: [registry] })
    registration.unregister()
    assert.equal(wss.instrumentation.observer, undefined)
    assert.equal(registry.getSingleMetric('roomcast_rooms'), theirs)
  })

  test("prom-client's global registry is the default", async () => {
    const { wss } = await connected()
    const registration = registerMetrics(wss)
    try {
      assert.equal(sample(await register.metrics(), 'roomcast_connections{route="/x"}'), 1)
      assert.ok(registration.names.every((name) => register.getSingleMetric(name) !== undefined))
    } finally {
      registration.unregister()
    }
    assert.ok(registration.names.every((name) => register.getSingleMetric(name) === undefined))
  })

  test('every name, with its type, as a scrape lists them', async () => {
    const { wss } = await connected()
    const { registry } = testRegistry()
    const { names } = registerMetrics(wss, { registry })
    const text = await registry.metrics()
    const types = Object.fromEntries(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]),
    )
    assert.deepEqual(Object.keys(types), names)
    for (const [name, type] of Object.entries(types)) {
      const expected = name.endsWith('_total')
        ? 'counter'
        : name.endsWith('_duration_seconds')
          ? 'histogram'
          : 'gauge'
      assert.equal(type, expected, name)
    }
  })
})

describe('metricsHandler()', () => {
  async function serve(handler: ReturnType<typeof metricsHandler>) {
    const http = createServer(handler)
    const port = await listenOnLoopback(http)
    cleanups.push(() => closeHttp(http))
    return (method = 'GET') => fetch(`http://127.0.0.1:${port}/metrics`, { method })
  }

  test('GET answers the Prometheus text format, HEAD its headers, other methods 405', async () => {
    const { wss } = await connected()
    const { registry } = testRegistry()
    registerMetrics(wss, { registry })
    const request = await serve(metricsHandler(registry))
    const got = await request()
    assert.equal(got.status, 200)
    assert.equal(got.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    assert.equal(got.headers.get('cache-control'), 'no-store')
    const body = await got.text()
    assert.equal(sample(body, 'roomcast_connections{route="/x"}'), 1)
    const head = await request('HEAD')
    assert.equal(head.status, 200)
    assert.equal(Number(head.headers.get('content-length')), Buffer.byteLength(body))
    assert.equal(await head.text(), '')
    const post = await request('POST')
    assert.equal(post.status, 405)
    assert.equal(post.headers.get('allow'), 'GET, HEAD')
  })

  test('an OpenMetrics registry answers in its own format', async () => {
    const { wss } = await connected()
    const registry = new Registry<OpenMetricsContentType>()
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    registerMetrics(wss, { registry })
    const got = await (await serve(metricsHandler(registry)))()
    assert.equal(got.status, 200)
    assert.equal(
      got.headers.get('content-type'),
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    )
    const body = await got.text()
    assert.ok(body.endsWith('# EOF\n'))
    assert.equal(sample(body, 'roomcast_handshakes_total{status="101"}'), 1)
    assert.match(body, /^# TYPE roomcast_handshakes counter$/m)
  })

  test('a collector that throws gives 500 with its message; a non-registry is refused', async () => {
    const registry = new Registry()
    new Gauge({
      name: 'broken',
      help: 'throws',
      registers: [registry],
      collect() {
        throw new Error('sensor gone')
      },
    })
    const got = await (await serve(metricsHandler(registry)))()
    assert.equal(got.status, 500)
    assert.equal(await got.text(), 'collecting metrics failed: sensor gone')
    assert.throws(() => metricsHandler({} as Registry), {
      code: ErrorCode.InvalidOption,
      message:
        'Invalid option "metricsHandler.registry": expected a prom-client Registry, got [object Object]',
    })
  })
})
