/** Seed 002 and 004 broadcast shapes on top of the same target vocabulary. */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { WebSocketService } from '../src/index.ts'
import { type Harness, harness, nextOfEach, openMembers, type Pair } from './helpers/capture.ts'

let h: Harness
let a: Pair
let b: Pair
let c: Pair

const received = (...pairs: Pair[]) => nextOfEach(pairs)

beforeEach(async () => {
  h = await harness()
  ;[a, b, c] = (await openMembers(h, [['x'], ['x', 'y'], ['y']])) as [Pair, Pair, Pair]
})

afterEach(async () => {
  await h.close()
})

describe('conn.broadcast, seed 002 form', () => {
  test('without options: every connection but the sender, objects as JSON', async () => {
    assert.equal(a.conn.broadcast({ type: 'announcement' }), 2)
    assert.deepEqual(await received(a, b, c), [
      null,
      '{"type":"announcement"}',
      '{"type":"announcement"}',
    ])
  })

  test('includeSelf, room, rooms and except', async () => {
    assert.equal(a.conn.broadcast('all', { includeSelf: true }), 3)
    assert.deepEqual(await received(a, b, c), ['all', 'all', 'all'])
    assert.equal(b.conn.broadcast({ n: 1 }, { room: 'x' }), 1)
    assert.deepEqual(await received(a, b, c), ['{"n":1}', null, null])
    assert.equal(a.conn.broadcast('xy', { rooms: ['x', 'y'], except: c.conn }), 1)
    assert.deepEqual(await received(a, b, c), [null, 'xy', null])
  })

  test('the seed 000 form (room, string or bytes) still works', async () => {
    assert.equal(a.conn.broadcast('x', 'room text'), 1)
    assert.equal(a.conn.broadcast('x', Buffer.from('room bytes')), 1)
    assert.deepEqual(await received(b), ['room text'])
    assert.deepEqual(await received(b), ['binary:room bytes'])
  })

  test('arguments that fit neither form throw a TypeError naming both', async () => {
    assert.throws(() => a.conn.broadcast('x', { text: 'hi' } as never), {
      name: 'TypeError',
      message:
        /conn\.broadcast\(room, data\).*conn\.broadcast\(data, \{ room, rooms, includeSelf, except \}\)/,
    })
    assert.throws(() => a.conn.broadcast('data', { includeSelf: 'yes' } as never), TypeError)
    assert.deepEqual(await received(a, b, c), [null, null, null])
  })

  test('inputs that could mean either form, or nothing, are refused and send nothing', async () => {
    const refuse = (fn: () => unknown, error: RegExp | object) => assert.throws(fn, error)
    refuse(() => a.conn.broadcast('lobby', {}), { name: 'TypeError', code: 'ERR_INVALID_PAYLOAD' })
    refuse(() => a.conn.broadcast('lobby', new Map() as never), { name: 'TypeError' })
    refuse(() => a.conn.broadcast('lobby', undefined), { name: 'TypeError' })
    refuse(() => a.conn.broadcast('hi', { room: undefined } as never), { code: 'ERR_INVALID_ROOM' })
    refuse(() => a.conn.broadcast('hi', { rooms: 'x' as never }), /rooms must be an array/)
    refuse(() => h.srv.wss.sendToRooms('x' as never, 'hi'), /rooms must be an array/)
    assert.deepEqual(await received(a, b, c), [null, null, null])
  })

  test('rooms: [] reaches nobody; data with an explicit undefined second argument reaches all', async () => {
    assert.equal(a.conn.broadcast('hi', { rooms: [] }), 0)
    assert.equal(h.srv.wss.sendToRooms([], 'hi'), 0)
    assert.equal(a.conn.broadcast({ all: 1 }, undefined), 2)
    assert.deepEqual(await received(a, b, c), [null, '{"all":1}', '{"all":1}'])
  })

  test('broadcastAllRooms reaches every room of the sender, each member once', async () => {
    assert.equal(b.conn.broadcastAllRooms({ all: true }, false), 2)
    assert.deepEqual(await received(a, b, c), ['{"all":true}', null, '{"all":true}'])
    assert.equal(b.conn.broadcastAllRooms('me too', true), 3)
    assert.deepEqual(await received(a, b, c), ['me too', 'me too', 'me too'])
    assert.throws(() => b.conn.broadcastAllRooms('x', undefined as never), TypeError)
  })
})

describe('server, seed 004 forms', () => {
  test('broadcastToAllClients with excludeClientId and a predicate over clientId and userData', async () => {
    a.conn.metadata.subscription = 'premium'
    c.conn.metadata.subscription = 'premium'
    const seen: string[] = []
    const count = h.srv.wss.broadcastToAllClients({
      data: { type: 'notification' },
      excludeClientId: a.conn.id,
      predicate: ({ clientId, userData }) => {
        seen.push(clientId)
        return userData.subscription === 'premium'
      },
    })
    assert.equal(count, 1)
    assert.deepEqual(await received(a, b, c), [null, null, '{"type":"notification"}'])
    assert.deepEqual(seen.sort(), [b.conn.id, c.conn.id].sort())
  })

  test('broadcastToRoom({ roomName, data, excludeClientId })', async () => {
    const count = h.srv.wss.broadcastToRoom({
      roomName: 'y',
      data: { v: 2 },
      excludeClientId: c.conn.id,
    })
    assert.equal(count, 1)
    assert.deepEqual(await received(a, b, c), [null, '{"v":2}', null])
  })

  test('broadcastToClient reaches one connection by id, 0 for an unknown id', async () => {
    assert.equal(h.srv.wss.broadcastToClient({ clientId: c.conn.id, data: { private: true } }), 1)
    assert.equal(h.srv.wss.broadcastToClient({ clientId: 'nobody', data: 'x' }), 0)
    assert.deepEqual(await received(a, b, c), [null, null, '{"private":true}'])
  })

  test('sendToRooms sends JSON text to the union of rooms', async () => {
    assert.equal(h.srv.wss.sendToRooms(['x', 'y'], { type: 'chat' }), 3)
    assert.deepEqual(await received(a, b, c), [
      '{"type":"chat"}',
      '{"type":"chat"}',
      '{"type":"chat"}',
    ])
    assert.deepEqual(await received(b), [null])
  })
})

describe("seed 004's WebSocketService", () => {
  test('broadcast, sendToRooms and the user/system/error helpers reach the right connections', async () => {
    const service = new WebSocketService({ webSocketServer: h.srv.wss })
    assert.equal(await service.broadcast({ type: 'notification', action: 'update', data: 1 }), 3)
    const update = '{"type":"notification","action":"update","data":1}'
    assert.deepEqual(await received(a, b, c), [update, update, update])
    assert.equal(await service.sendToRooms(['y'], { type: 'chat', action: 'message' }), 2)
    assert.deepEqual(await received(a, b, c), [
      null,
      '{"type":"chat","action":"message"}',
      '{"type":"chat","action":"message"}',
    ])
    await service.sendUserMessage('profileUpdated', { userId: 123 })
    const user = '{"type":"user","action":"profileUpdated","data":{"userId":123}}'
    assert.deepEqual(await received(a, b, c), [user, user, user])
    await service.sendSystemMessage('maintenance', { minutes: 5 })
    const system = '{"type":"system","action":"maintenance","data":{"minutes":5}}'
    assert.deepEqual(await received(a), [system])
    await service.sendErrorMessage('authFailed', new Error('Invalid token'))
    const error = '{"type":"error","action":"authFailed","data":{"message":"Invalid token"}}'
    assert.deepEqual(await received(b), [system])
    assert.deepEqual(await received(b), [error])
  })

  test('needs a server', () => {
    assert.throws(() => new WebSocketService({} as never), TypeError)
  })
})
