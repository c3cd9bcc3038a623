/** Controllers (seed 004) through real sockets: replies, errors, envelopes, system rooms, schemas. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { z } from 'zod'
import {
  defineAction,
  ReplyError,
  type RoomcastServer,
  systemController,
  type WSConnection,
} from '../src/index.ts'
import type { TestClient } from './helpers/client.ts'
import { nextJson } from './helpers/json.ts'
import { assertSeedChat } from './helpers/seed004-chat.ts'
import type { TestServer } from './helpers/server.ts'
import { serverFixture } from './helpers/teardown.ts'
import { delay, eventually } from './helpers/timeout.ts'

const { open, serve } = serverFixture()

const request = (client: TestClient, envelope: Record<string, unknown>) =>
  client.send(JSON.stringify(envelope))

const INVALID = { code: 'ERR_INVALID_MESSAGE', message: 'Invalid message format' }
const UNKNOWN = { code: 'ERR_UNKNOWN_ACTION', message: 'Unknown type or action' }
const INTERNAL = { code: 'ERR_INTERNAL', message: 'Internal error' }

describe('actions and their replies', () => {
  const errors: Error[] = []
  let quietCalls = 0

  async function mathServer(): Promise<TestServer> {
    errors.length = 0
    quietCalls = 0
    return serve(
      (wss) => {
        wss.controllers([
          {
            type: 'math',
            action: 'add',
            handler: (_conn, data) => {
              const { a, b } = data as { a: number; b: number }
              return a + b
            },
          },
          {
            type: 'math',
            action: 'slowDouble',
            handler: async (_conn, data) => {
              await delay(10)
              return (data as number) * 2
            },
          },
          {
            type: 'math',
            action: 'quiet',
            handler: () => {
              quietCalls++
            },
          },
          {
            type: 'math',
            action: 'boom',
            handler: () => {
              throw new Error('connection string postgres://admin:s3cret@db')
            },
          },
          {
            type: 'math',
            action: 'asyncBoom',
            handler: async () => {
              await delay(1)
              throw new Error('async s3cret')
            },
          },
          {
            type: 'math',
            action: 'find',
            handler: (_conn, data) => {
              throw new ReplyError('ERR_NOT_FOUND', 'No such result', { id: data })
            },
          },
        ])
        wss.route({ pattern: '/c' })
      },
      { onError: (_conn, error) => void errors.push(error) },
    )
  }

  test('the result is the reply, sync or async, with requestId echoed (string and number)', async () => {
    const client = await open((await mathServer()).url('/c'))
    request(client, { type: 'math', action: 'add', data: { a: 2, b: 3 } })
    assert.deepEqual(await nextJson(client), { type: 'math', action: 'add', data: 5 })
    request(client, { type: 'math', action: 'add', data: { a: 1, b: 1 }, requestId: 'req-1' })
    assert.deepEqual(await nextJson(client), {
      type: 'math',
      action: 'add',
      requestId: 'req-1',
      data: 2,
    })
    request(client, { type: 'math', action: 'slowDouble', data: 21, requestId: 7 })
    assert.deepEqual(await nextJson(client), {
      type: 'math',
      action: 'slowDouble',
      requestId: 7,
      data: 42,
    })
  })

  test('a handler returning undefined sends no reply', async () => {
    const client = await open((await mathServer()).url('/c'))
    request(client, { type: 'math', action: 'quiet', requestId: 'q' })
    request(client, { type: 'math', action: 'add', data: { a: 0, b: 1 }, requestId: 'after' })
    // The next message is the second request's reply: the first one sent nothing.
    assert.deepEqual(await nextJson(client), {
      type: 'math',
      action: 'add',
      requestId: 'after',
      data: 1,
    })
    await client.nothingWithin(30)
    assert.equal(quietCalls, 1)
  })

  test('a thrown error is ERR_INTERNAL without its details; the server sees the error', async () => {
    const client = await open((await mathServer()).url('/c'))
    request(client, { type: 'math', action: 'boom', requestId: 'b1' })
    const raw = await client.next()
    assert.equal(typeof raw, 'string')
    assert.deepEqual(JSON.parse(raw as string), {
      type: 'error',
      action: 'boom',
      requestId: 'b1',
      error: INTERNAL,
    })
    assert.doesNotMatch(raw as string, /s3cret|postgres/)
    request(client, { type: 'math', action: 'asyncBoom', requestId: 2 })
    assert.deepEqual(await nextJson(client), {
      type: 'error',
      action: 'asyncBoom',
      requestId: 2,
      error: INTERNAL,
    })
    assert.deepEqual(
      errors.map((e) => e.message),
      ['connection string postgres://admin:s3cret@db', 'async s3cret'],
    )
  })

  test('a ReplyError is sent as it is: code, message and details', async () => {
    const client = await open((await mathServer()).url('/c'))
    request(client, { type: 'math', action: 'find', data: 9, requestId: 'f' })
    assert.deepEqual(await nextJson(client), {
      type: 'error',
      action: 'find',
      requestId: 'f',
      error: { code: 'ERR_NOT_FOUND', message: 'No such result', details: { id: 9 } },
    })
    assert.deepEqual(errors, [])
  })

  test('an unknown type or action is ERR_UNKNOWN_ACTION', async () => {
    const client = await open((await mathServer()).url('/c'))
    request(client, { type: 'math', action: 'divide', requestId: 'u1' })
    assert.deepEqual(await nextJson(client), {
      type: 'error',
      action: 'divide',
      requestId: 'u1',
      error: UNKNOWN,
    })
    request(client, { type: 'physics', action: 'add' })
    assert.deepEqual(await nextJson(client), { type: 'error', action: 'add', error: UNKNOWN })
  })

  test('non-JSON, binary and non-envelope messages are ERR_INVALID_MESSAGE', async () => {
    const client = await open((await mathServer()).url('/c'))
    client.send('hello there')
    assert.deepEqual(await nextJson(client), { type: 'error', error: INVALID })
    client.send(Buffer.from('{"type":"math","action":"add"}'))
    assert.deepEqual(await nextJson(client), { type: 'error', error: INVALID })
    request(client, { type: 'math', data: 1 })
    assert.deepEqual(await nextJson(client), { type: 'error', error: INVALID })
    request(client, { action: 'add', requestId: 'no-type' })
    assert.deepEqual(await nextJson(client), {
      type: 'error',
      action: 'add',
      requestId: 'no-type',
      error: INVALID,
    })
    request(client, { type: 'math', action: 'add', requestId: { not: 'an id' } })
    assert.deepEqual(await nextJson(client), { type: 'error', action: 'add', error: INVALID })
    client.send('[1,2]')
    assert.deepEqual(await nextJson(client), { type: 'error', error: INVALID })
    request(client, { type: 'math', action: 'add', data: { a: 1, b: 2 } })
    assert.deepEqual(await nextJson(client), { type: 'math', action: 'add', data: 3 })
  })
})

/** Seed 004's ChatController: arrow-function properties, the server handed to the constructor. */
class ChatController {
  readonly server: RoomcastServer

  constructor(server: RoomcastServer) {
    this.server = server
  }

  /** Route: type: 'chat', action: 'send' */
  public send = (_conn: WSConnection, data: { text?: string; username?: string } | undefined) => {
    const message = data?.text || ''
    const username = data?.username || 'Anonymous'
    // Broadcast to all clients
    this.server.broadcastToAllClients({
      data: {
        type: 'chat',
        action: 'message',
        data: { username, message, timestamp: new Date().toISOString() },
      },
    })
    // Return acknowledgment to sender
    return { success: true, messageId: Date.now() }
  }

  /** Route: type: 'chat', action: 'typing' */
  public typing = (conn: WSConnection, data: { username?: string } | undefined) => {
    const username = data?.username || 'Anonymous'
    this.server.broadcastToAllClients({
      data: { type: 'chat', action: 'userTyping', data: { username } },
      excludeClientId: conn.id, // Don't send back to sender
    })
    return { success: true }
  }
}

describe('seed 004 ChatController', () => {
  test('send reaches everyone and acknowledges; typing reaches the others only', async () => {
    const server = await serve((wss) => {
      wss.controllers([
        { type: 'chat', action: 'send', controllerName: 'chat', controller: ChatController },
        { type: 'chat', action: 'typing', controllerName: 'chat', controller: ChatController },
      ])
      wss.route({ pattern: '/ws' })
    })
    const alice = await open(server.url('/ws'))
    const bob = await open(server.url('/ws'))

    await assertSeedChat(alice, bob)
  })

  test('registered as { type, controller }: every method is an action, nothing else is', async () => {
    const server = await serve((wss) => {
      wss.controllers({ type: 'chat', controller: ChatController })
      wss.route({ pattern: '/ws' })
    })
    const alice = await open(server.url('/ws'))
    const bob = await open(server.url('/ws'))
    request(alice, { type: 'chat', action: 'typing', data: { username: 'Alice' }, requestId: 3 })
    assert.deepEqual(await nextJson(bob), {
      type: 'chat',
      action: 'userTyping',
      data: { username: 'Alice' },
    })
    assert.deepEqual(await nextJson(alice), {
      type: 'chat',
      action: 'typing',
      requestId: 3,
      data: { success: true },
    })
    for (const action of ['server', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      request(alice, { type: 'chat', action })
      assert.deepEqual(await nextJson(alice), { type: 'error', action, error: UNKNOWN }, action)
    }
  })
})

describe('system controller', () => {
  const join = (client: TestClient, roomName: string) =>
    request(client, { type: 'system', action: 'joinRoom', data: { roomName } })

  test('joinRoom and leaveRoom, guarded by an async authorizeJoin', async () => {
    const asked: string[] = []
    const server = await serve((wss) => {
      wss.controllers(
        systemController({
          authorizeJoin: async (conn, room) => {
            asked.push(`${conn.metadata.name}:${room}`)
            await delay(1)
            return !room.startsWith('private:')
          },
        }),
      )
      wss.route({
        pattern: '/sys',
        onConnect: (conn) => {
          conn.metadata.name = 'ann'
        },
      })
    })
    const client = await open(server.url('/sys'))
    join(client, 'a')
    assert.deepEqual(await nextJson(client), {
      type: 'system',
      action: 'joinRoom',
      data: { room: 'a', rooms: ['a'] },
    })
    join(client, 'b')
    assert.deepEqual(await nextJson(client), {
      type: 'system',
      action: 'joinRoom',
      data: { room: 'b', rooms: ['a', 'b'] },
    })
    request(client, { type: 'system', action: 'joinRoom', data: { roomName: 'private:x' } })
    assert.deepEqual(await nextJson(client), {
      type: 'error',
      action: 'joinRoom',
      error: { code: 'ERR_FORBIDDEN', message: 'Not allowed to join this room' },
    })
    request(client, { type: 'system', action: 'leaveRoom', data: { roomName: 'a' }, requestId: 1 })
    assert.deepEqual(await nextJson(client), {
      type: 'system',
      action: 'leaveRoom',
      requestId: 1,
      data: { room: 'a', rooms: ['b'] },
    })
    const [conn] = server.wss.getConnections()
    assert.deepEqual(conn?.getRooms(), ['b'])
    assert.deepEqual(asked, ['ann:a', 'ann:b', 'ann:private:x'])
    assert.equal(server.wss.getRoomConnections('private:x').length, 0)
  })

  test('clientCanJoinMultipleRooms: false — a join leaves the previous room', async () => {
    const server = await serve((wss) => {
      wss.controllers(
        systemController({
          authorizeJoin: (_conn, room) => room !== 'staff',
          clientCanJoinMultipleRooms: false,
        }),
      )
      wss.route({ pattern: '/one' })
    })
    const client = await open(server.url('/one'))
    join(client, 'lobby')
    assert.deepEqual(((await nextJson(client)) as { data: unknown }).data, {
      room: 'lobby',
      rooms: ['lobby'],
    })
    join(client, 'game-1')
    assert.deepEqual(((await nextJson(client)) as { data: unknown }).data, {
      room: 'game-1',
      rooms: ['game-1'],
    })
    join(client, 'staff')
    assert.equal(
      ((await nextJson(client)) as { error: { code: string } }).error.code,
      'ERR_FORBIDDEN',
    )
    assert.deepEqual(server.wss.getRooms(), ['game-1'])
    request(client, { type: 'system', action: 'joinRoom', data: { roomName: '' } })
    const invalid = (await nextJson(client)) as { error: { code: string } }
    assert.equal(invalid.error.code, 'ERR_VALIDATION')
    assert.deepEqual(server.wss.getRooms(), ['game-1'])
  })
})

describe('schemas', () => {
  test('zod: invalid data is ERR_VALIDATION with the issues, and the handler does not run', async () => {
    const ran: string[] = []
    const server = await serve((wss) => {
      wss.controllers(
        defineAction({
          type: 'chat',
          action: 'post',
          schema: z.object({ text: z.string().min(1), tags: z.array(z.string()).optional() }),
          handler: (_conn, data) => {
            ran.push(data.text)
            // @ts-expect-error: the schema's output has no `author`.
            void data.author
            return { length: data.text.length, tags: data.tags ?? [] }
          },
        }),
      )
      wss.route({ pattern: '/z' })
    })
    const client = await open(server.url('/z'))
    request(client, { type: 'chat', action: 'post', data: { text: 42 }, requestId: 'v1' })
    const reply = (await nextJson(client)) as {
      error: { code: string; message: string; issues: Array<{ message: string; path: unknown[] }> }
    }
    assert.deepEqual(Object.keys(reply).sort(), ['action', 'error', 'requestId', 'type'])
    assert.equal(reply.error.code, 'ERR_VALIDATION')
    assert.equal(reply.error.message, 'Invalid data')
    assert.equal(reply.error.issues.length, 1)
    assert.deepEqual(reply.error.issues[0]?.path, ['text'])
    assert.equal(typeof reply.error.issues[0]?.message, 'string')

    request(client, { type: 'chat', action: 'post', data: { text: '', tags: [1] } })
    const two = (await nextJson(client)) as { error: { issues: Array<{ path: unknown[] }> } }
    assert.deepEqual(
      two.error.issues.map((i) => i.path),
      [['text'], ['tags', 0]],
    )
    request(client, { type: 'chat', action: 'post' })
    const missing = (await nextJson(client)) as { error: { code: string } }
    assert.equal(missing.error.code, 'ERR_VALIDATION')
    assert.deepEqual(ran, [])

    request(client, { type: 'chat', action: 'post', data: { text: 'hey' }, requestId: 'v2' })
    assert.deepEqual(await nextJson(client), {
      type: 'chat',
      action: 'post',
      requestId: 'v2',
      data: { length: 3, tags: [] },
    })
    assert.deepEqual(ran, ['hey'])
  })
})

describe('where controllers apply', () => {
  const add = {
    type: 'math',
    action: 'add',
    handler: (_conn: WSConnection, data: unknown) => {
      const { a, b } = data as { a: number; b: number }
      return a + b
    },
  }

  test('a route object with onMessage: what no controller takes falls through to onMessage', async () => {
    const fallback: unknown[] = []
    const server = await serve((wss) => {
      wss.controllers(add)
      wss.route({
        pattern: '/mixed',
        onMessage: (conn, data) => {
          fallback.push(data)
          conn.send('fallback')
        },
      })
      wss.route({ pattern: '/strict' })
    })
    const mixed = await open(server.url('/mixed'))
    mixed.send('plain text')
    assert.equal(await mixed.next(), 'fallback')
    request(mixed, { type: 'math', action: 'add', data: { a: 1, b: 2 } })
    assert.deepEqual(await nextJson(mixed), { type: 'math', action: 'add', data: 3 })
    request(mixed, { type: 'math', action: 'subtract' })
    assert.equal(await mixed.next(), 'fallback')
    await mixed.nothingWithin(30)
    assert.deepEqual(fallback, ['plain text', { type: 'math', action: 'subtract' }])

    // Without onMessage there is nowhere to fall through to: the client is told.
    const strict = await open(server.url('/strict'))
    strict.send('plain text')
    assert.deepEqual(await nextJson(strict), { type: 'error', error: INVALID })
    request(strict, { type: 'math', action: 'subtract' })
    assert.deepEqual(await nextJson(strict), {
      type: 'error',
      action: 'subtract',
      error: UNKNOWN,
    })
  })

  test('a wss.on() route gets the controllers; its own listeners still see every message', async () => {
    const raw: unknown[] = []
    const server = await serve((wss) => {
      wss.controllers(add)
      wss.on('/plain', (conn) => {
        conn.on('message', (data) => void raw.push(data))
      })
    })
    const client = await open(server.url('/plain'))
    request(client, { type: 'math', action: 'add', data: { a: 20, b: 22 }, requestId: 'p' })
    assert.deepEqual(await nextJson(client), {
      type: 'math',
      action: 'add',
      requestId: 'p',
      data: 42,
    })
    client.send('not an envelope')
    assert.deepEqual(await nextJson(client), { type: 'error', error: INVALID })
    await eventually(() => raw.length === 2, 'raw listener saw both')
    assert.deepEqual(raw, [
      JSON.stringify({ type: 'math', action: 'add', data: { a: 20, b: 22 }, requestId: 'p' }),
      'not an envelope',
    ])
  })
})
