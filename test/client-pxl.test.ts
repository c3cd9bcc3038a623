/** Seed 004's Node client: `new WebSocketClient({...})`, load(), connectToServer(), sendClientMessage(). */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, afterEach, describe, test } from 'node:test'
import { WebSocketClient } from '../src/index.ts'
import { type FakeServer, startFakeServer } from './fixtures/client-fake-server.ts'
import { queue } from './fixtures/client-queue.ts'
import { within } from './helpers/timeout.ts'

/** A controllers directory as seed 004 lays it out, in a temp folder. */
const directory = mkdtempSync(join(tmpdir(), 'roomcast-client-controllers-'))
writeFileSync(
  join(directory, 'chat.controller.mjs'),
  `export default class ChatController {
  constructor(init) {
    this.calls = init.applicationConfig.calls
    this.init = init
  }
  message = (ws, clientId, data) => {
    this.calls.push({ controller: 'chat', clientId, data, hasClient: this.init.webSocketClient !== undefined })
    ws.send(JSON.stringify({ type: 'chat', action: 'ack', data }))
  }
}
`,
)
writeFileSync(
  join(directory, 'notification.controller.mjs'),
  `export class NotificationController {
  constructor(init) { this.calls = init.applicationConfig.calls }
  alert(ws, clientId, data) { this.calls.push({ controller: 'notification', clientId, data }) }
}
`,
)
writeFileSync(join(directory, 'chat.controller.d.ts'), 'export {}\n')
after(() => rmSync(directory, { recursive: true, force: true }))

const opened: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await within(item.close(), 3000, 'close')
})

async function server(): Promise<FakeServer> {
  const fake = await startFakeServer()
  opened.push(fake)
  return fake
}

describe('WebSocketClient (seed 004)', () => {
  test('the seed example: controllers from a directory handle pushes as (ws, clientId, data)', async () => {
    const fake = await server()
    const calls: unknown[] = []
    const connected = queue<string | undefined>('onConnected')
    const received = queue<unknown>('onMessage')
    const client = new WebSocketClient({
      applicationConfig: { calls },
      options: {
        url: fake.url(),
        controllersDirectory: directory,
        events: {
          onConnected: ({ ws, clientId }) => {
            assert.equal(typeof ws.send, 'function')
            connected.push(clientId)
          },
          onMessage: ({ data }) => received.push(data),
        },
      },
      redisInstance: {},
      queueManager: {},
      databaseInstance: {},
      routes: [],
    })
    opened.push(client)
    await client.load()
    await client.connectToServer()
    assert.equal(await connected.next(), 'c-1')
    const conn = await fake.connections.next()

    client.sendClientMessage({
      type: 'chat',
      action: 'send',
      data: { text: 'Hello from Node.js client' },
    })
    assert.deepEqual(JSON.parse(String(await conn.received.next())), {
      type: 'chat',
      action: 'send',
      data: { text: 'Hello from Node.js client' },
    })

    const push = { type: 'chat', action: 'message', data: { message: 'hi' } }
    conn.ws.send(JSON.stringify(push))
    assert.deepEqual(await received.next(), push)
    // The controller answered on the raw socket it was given.
    assert.deepEqual(JSON.parse(String(await conn.received.next())), {
      type: 'chat',
      action: 'ack',
      data: { message: 'hi' },
    })
    conn.msg(
      [['alerts', 1, 'e']],
      JSON.stringify({ type: 'notification', action: 'alert', data: 5 }),
    )
    conn.ws.send('not json')
    await received.next()
    assert.equal(await received.next(), 'not json')
    assert.deepEqual(calls, [
      { controller: 'chat', clientId: 'c-1', data: { message: 'hi' }, hasClient: true },
      { controller: 'notification', clientId: 'c-1', data: 5 },
    ])
  })

  test('actions every object has are never called; a failing controller goes to onError', async () => {
    const fake = await server()
    const errors = queue<Error>('onError')
    const dir = mkdtempSync(join(tmpdir(), 'roomcast-client-failing-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(
      join(dir, 'boom.mjs'),
      'export default { explode() { throw new Error("kaboom") }, async later() { throw new Error("later") } }\n',
    )
    const client = new WebSocketClient({
      options: {
        url: fake.url(),
        controllersDirectory: dir,
        events: {
          onConnected: () => {},
          onMessage: () => {},
          onError: ({ error }) => errors.push(error),
        },
      },
    })
    opened.push(client)
    await client.load()
    await client.connectToServer()
    const conn = await fake.connections.next()
    conn.ws.send(JSON.stringify({ type: 'boom', action: 'toString' }))
    conn.ws.send(JSON.stringify({ type: 'boom', action: 'explode' }))
    conn.ws.send(JSON.stringify({ type: 'boom', action: 'later' }))
    assert.equal((await errors.next()).message, 'kaboom')
    assert.equal((await errors.next()).message, 'later')
  })

  test('onDisconnected is told of each close; the client reconnects', async () => {
    const fake = await server()
    const connected = queue<string | undefined>('onConnected')
    const disconnected = queue<string | undefined>('onDisconnected')
    const client = new WebSocketClient({
      options: {
        url: fake.url(),
        events: {
          onConnected: ({ clientId }) => connected.push(clientId),
          onMessage: () => {},
          onDisconnected: ({ clientId }) => disconnected.push(clientId),
        },
        client: { reconnect: { initialDelay: 1, jitter: false } },
      },
    })
    opened.push(client)
    await client.connectToServer()
    assert.equal(await connected.next(), 'c-1')
    ;(await fake.connections.next()).close(1012)
    assert.equal(await disconnected.next(), 'c-1')
    assert.equal(await connected.next(), 'c-2')
  })

  test('connectToServer() rejects when the server refuses, and leaves nothing retrying', async () => {
    const fake = await server()
    fake.refuse = true
    const client = new WebSocketClient({
      options: { url: fake.url(), events: { onConnected: () => {}, onMessage: () => {} } },
    })
    opened.push(client)
    await assert.rejects(client.connectToServer(), /could not connect/)
    fake.refuse = false
    await client.connectToServer()
    assert.equal(fake.handshakes.length, 2)
  })

  test('unknown keys, non-empty routes and sending before connecting are refused', () => {
    const events = { onConnected: () => {}, onMessage: () => {} }
    const options = { url: 'ws://127.0.0.1:1/', events }
    assert.throws(() => new WebSocketClient({ options, workerId: 1 } as never), {
      name: 'TypeError',
      message: 'WebSocketClient: unknown option "workerId"',
    })
    assert.throws(() => new WebSocketClient({ options: { ...options, retries: 1 } as never }), {
      message: 'WebSocketClient: unknown option "options.retries"',
    })
    assert.throws(
      () =>
        new WebSocketClient({
          options: { ...options, events: { ...events, onOpen: () => {} } } as never,
        }),
      { message: 'WebSocketClient: unknown option "options.events.onOpen"' },
    )
    assert.throws(
      () => new WebSocketClient({ options, routes: [{ type: 'x' }] as never }),
      /routes/,
    )
    assert.throws(() =>
      new WebSocketClient({ options }).sendClientMessage({ type: 't', action: 'a' }),
    )
  })

  test('two files naming one controller are refused at load()', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roomcast-client-twice-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'chat.controller.mjs'), 'export default {}\n')
    writeFileSync(join(dir, 'chat.mjs'), 'export default {}\n')
    const client = new WebSocketClient({
      options: {
        url: 'ws://127.0.0.1:1/',
        controllersDirectory: dir,
        events: { onConnected: () => {}, onMessage: () => {} },
      },
    })
    await assert.rejects(client.load(), /both name "chat"/)
  })
})
