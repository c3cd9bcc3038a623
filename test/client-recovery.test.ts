/** The roomcast client against the real server: recovery after a blip, requests to controllers, a restart over Redis. */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, afterEach, before, describe, test } from 'node:test'
import WebSocket from 'ws'
import { createClient, type RoomcastClient } from '../src/client/index.ts'
import {
  createWebSocket,
  defineControllers,
  type RoomcastServer,
  WebSocketClient,
} from '../src/index.ts'
import { createRedisAdapter } from '../src/redis.ts'
import { type RedisProcess, startRedis } from './helpers/redis.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { eventually, within } from './helpers/timeout.ts'

const fast = { initialDelay: 20, maxDelay: 100 }
const clients: Array<{ close(): Promise<void> }> = []
let server: TestServer | undefined

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await server?.close()
  server = undefined
})

function client(url: string): RoomcastClient {
  const made = createClient(url, { WebSocket, reconnect: fast })
  clients.push(made)
  return made
}

const numbers = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1))

describe('the client on a real server', () => {
  test('a dropped connection comes back recovered, with every message once, in order', async () => {
    server = await startServer(
      { history: { size: 1000, ttl: 60_000 }, recovery: { maxDisconnection: 5000 } },
      (wss) => wss.on('/feed', (conn) => conn.recovered || conn.join('feed')),
    )
    const feed = client(server.url('/feed'))
    const got: string[] = []
    const recovered: boolean[] = []
    feed.on('feed', (data) => got.push(String(data)))
    feed.on('open', ({ recovered: was }) => recovered.push(was))
    await eventually(() => server?.wss.getRoomConnections('feed').length === 1, 'joined')
    const wss = server.wss
    let sent = 0
    const send = (count: number) => {
      for (let i = 0; i < count; i++) wss.to('feed').send(String(++sent))
    }
    send(100)
    await eventually(() => got.length === 100, 'first 100')
    // The network drops it: the server sees 1006, the client reconnects on its own.
    for (const conn of wss.getRoomConnections('feed')) conn.terminate()
    send(100)
    await eventually(() => recovered.length === 2, 'reopened', 5000)
    send(100)
    await eventually(() => got.length >= 300, 'all 300', 5000)
    assert.deepEqual(recovered, [false, true])
    assert.deepEqual(got, numbers(300))
  })

  test('request() gets a controller reply or its error code, typed from the contract', async () => {
    interface Contract {
      math: { double: { data: { n: number }; reply: { n: number } } }
    }
    server = await startServer({}, (wss) => {
      wss.controllers(
        defineControllers<Contract>({
          math: {
            double: (_conn, data) => {
              if (data.n < 0)
                throw Object.assign(new Error('no'), { expose: true, code: 'ERR_NEGATIVE' })
              return { n: data.n * 2 }
            },
          },
        }),
      )
      wss.on('/rpc', () => {})
    })
    const rpc = createClient<Contract>(server.url('/rpc'), { WebSocket, reconnect: fast })
    clients.push(rpc)
    assert.deepEqual(await rpc.request('math', 'double', { n: 21 }), { n: 42 })
    await assert.rejects(rpc.request('math', 'double', { n: -1 }), { code: 'ERR_NEGATIVE' })
  })
})

describe("seed 004's WebSocketClient on a real server", () => {
  test('connectToServer(), onConnected with the server-side id, sendClientMessage() to a controller', async () => {
    const seen: Array<{ id: string; data: unknown }> = []
    server = await startServer({}, (wss) => {
      wss.controllers({
        type: 'chat',
        action: 'send',
        handler: (conn, data) => {
          seen.push({ id: conn.id, data })
          conn.json({ type: 'chat', action: 'message', data })
        },
      })
      wss.on('/ws', () => {})
    })
    const ids: Array<string | undefined> = []
    const messages: unknown[] = []
    const pxl = new WebSocketClient({
      applicationConfig: {},
      options: {
        url: server.url('/ws'),
        events: {
          onConnected: ({ clientId }) => ids.push(clientId),
          onMessage: ({ data }) => messages.push(data),
        },
      },
      redisInstance: undefined,
      queueManager: undefined,
      databaseInstance: undefined,
      routes: [],
    })
    await pxl.load()
    await pxl.connectToServer()
    pxl.sendClientMessage({
      type: 'chat',
      action: 'send',
      data: { text: 'Hello from Node.js client' },
    })
    await eventually(() => messages.length === 1, 'the push came back')
    assert.deepEqual(seen, [{ id: ids[0], data: { text: 'Hello from Node.js client' } }])
    assert.deepEqual(messages, [
      { type: 'chat', action: 'message', data: { text: 'Hello from Node.js client' } },
    ])
    await pxl.close()
  })
})

describe('the client across a server restart over Redis', () => {
  let redis: RedisProcess
  before(async () => {
    redis = await within(startRedis(), 8000, 'startRedis')
  })
  after(() => redis.kill())

  async function node(port: number): Promise<{ wss: RoomcastServer; http: Server; port: number }> {
    const adapter = await createRedisAdapter({ redis: redis.url, prefix: 'restart' })
    const wss = createWebSocket({
      adapter,
      history: { size: 1000, ttl: 60_000 },
      recovery: { maxDisconnection: 5000 },
      logger: { error: () => {}, warn: () => {} },
    })
    wss.on('/feed', (conn) => conn.recovered || conn.join('feed'))
    const http = createServer((_req, res) => res.writeHead(404).end())
    wss.attach(http)
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve))
    await wss.ready()
    return { wss, http, port: (http.address() as AddressInfo).port }
  }

  test('a graceful restart: the client returns to the new process with its session', async () => {
    const first = await node(0)
    const feed = client(`ws://127.0.0.1:${first.port}/feed`)
    const got: string[] = []
    const opens: boolean[] = []
    feed.on('feed', (data) => got.push(String(data)))
    feed.on('open', ({ recovered }) => opens.push(recovered))
    await eventually(() => first.wss.getRoomConnections('feed').length === 1, 'joined')
    for (let i = 1; i <= 50; i++) first.wss.to('feed').send(String(i))
    await eventually(() => got.length === 50, 'first 50')
    await first.wss.close()
    await new Promise((resolve) => first.http.close(resolve))
    const second = await node(first.port)
    // Sent while the client is away: kept in Redis, replayed on recovery.
    for (let i = 51; i <= 100; i++) second.wss.to('feed').send(String(i))
    await eventually(() => got.length >= 100, 'all 100', 8000)
    assert.deepEqual(opens, [false, true])
    assert.deepEqual(got, numbers(100))
    await feed.close()
    await second.wss.close()
    await new Promise((resolve) => second.http.close(resolve))
  })
})
