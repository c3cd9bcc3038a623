/** Broadcasting: every server and connection broadcast method, exclude, return counts, query API, ordering. */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { RoomcastError, type WSConnection } from '../src/index.ts'
import { type Harness, harness, openMembers, type Pair } from './helpers/capture.ts'
import type { TestClient } from './helpers/client.ts'
import { eventually, within } from './helpers/timeout.ts'

const ids = (conns: WSConnection[]): string[] => conns.map((c) => c.id).sort()

/** Each of `receivers` gets exactly `expected` next; every other pair gets nothing for 100 ms. */
async function expectDelivery(
  all: Pair[],
  receivers: Pair[],
  expected: string | Buffer,
): Promise<void> {
  await Promise.all(
    all.map(async (pair) => {
      if (!receivers.includes(pair)) return pair.client.nothingWithin(100)
      const message = await pair.client.next(2000)
      assert.equal(Buffer.isBuffer(message), Buffer.isBuffer(expected))
      assert.deepEqual(message, expected)
      return pair.client.nothingWithin(50)
    }),
  )
}

function assertCode(fn: () => unknown, type: 'RoomcastError' | 'TypeError', code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof (type === 'TypeError' ? TypeError : RoomcastError))
    assert.equal((error as { code?: unknown }).code, code)
    return true
  })
}

// a, b and c are in 'room'; d is in no room.
let h: Harness
let a: Pair
let b: Pair
let c: Pair
let d: Pair
let all: Pair[]

beforeEach(async () => {
  h = await harness()
  all = await openMembers(h, [['room'], ['room'], ['room'], []])
  ;[a, b, c, d] = all as [Pair, Pair, Pair, Pair]
})

afterEach(async () => {
  await h.close()
})

describe('wss.broadcast and wss.broadcastJson', () => {
  test('broadcast(text) reaches every connection as text and returns 4', async () => {
    assert.equal(h.srv.wss.broadcast('hello'), 4)
    await expectDelivery(all, all, 'hello')
  })

  test('broadcast(buffer) arrives as binary', async () => {
    assert.equal(h.srv.wss.broadcast(Buffer.from([0, 1, 2, 255])), 4)
    await expectDelivery(all, all, Buffer.from([0, 1, 2, 255]))
  })

  test('broadcast(ArrayBuffer) and broadcast(Uint8Array) arrive as binary', async () => {
    assert.equal(h.srv.wss.broadcast(new Uint8Array([9, 8, 7]).buffer), 4)
    await expectDelivery(all, all, Buffer.from([9, 8, 7]))
    const view = new Uint8Array([1, 2, 3, 4, 5]).subarray(1, 4)
    assert.equal(h.srv.wss.broadcast(view), 4)
    await expectDelivery(all, all, Buffer.from([2, 3, 4]))
  })

  test('broadcastJson(value) sends JSON text to every connection', async () => {
    assert.equal(h.srv.wss.broadcastJson({ type: 'hi', n: [1, 2] }), 4)
    await expectDelivery(all, all, '{"type":"hi","n":[1,2]}')
  })

  test('broadcast with exclude given as the connection skips it and returns 3', async () => {
    assert.equal(h.srv.wss.broadcast('x', b.conn), 3)
    await expectDelivery(all, [a, c, d], 'x')
  })

  test('broadcast with exclude given as the id skips it and returns 3', async () => {
    assert.equal(h.srv.wss.broadcast('x', d.conn.id), 3)
    await expectDelivery(all, [a, b, c], 'x')
  })

  test('broadcastJson with exclude as the connection and as the id', async () => {
    assert.equal(h.srv.wss.broadcastJson([1], a.conn), 3)
    await expectDelivery(all, [b, c, d], '[1]')
    assert.equal(h.srv.wss.broadcastJson('s', c.conn.id), 3)
    await expectDelivery(all, [a, b, d], '"s"')
  })

  test('an exclude that is neither a connection nor an id throws TypeError and sends nothing', async () => {
    for (const exclude of [42, {}, null, true]) {
      assert.throws(() => h.srv.wss.broadcast('x', exclude as never), {
        name: 'TypeError',
        message: 'exclude must be a connection or a connection id',
      })
      assert.throws(() => h.srv.wss.broadcastToRoom('room', 'x', exclude as never), TypeError)
    }
    await expectDelivery(all, [], 'x')
  })

  test('an exclude id that matches no connection excludes nobody', async () => {
    assert.equal(h.srv.wss.broadcast('x', 'no-such-id'), 4)
    await expectDelivery(all, all, 'x')
  })
})

describe('wss.broadcastToRoom and wss.broadcastJsonToRoom', () => {
  test('broadcastToRoom reaches the members only and returns 3', async () => {
    assert.equal(h.srv.wss.broadcastToRoom('room', 'r'), 3)
    await expectDelivery(all, [a, b, c], 'r')
  })

  test('broadcastToRoom(buffer) arrives as binary', async () => {
    assert.equal(h.srv.wss.broadcastToRoom('room', Buffer.from('bin')), 3)
    await expectDelivery(all, [a, b, c], Buffer.from('bin'))
  })

  test('broadcastToRoom with exclude as the connection and as the id returns 2', async () => {
    assert.equal(h.srv.wss.broadcastToRoom('room', 'e1', a.conn), 2)
    await expectDelivery(all, [b, c], 'e1')
    assert.equal(h.srv.wss.broadcastToRoom('room', 'e2', b.conn.id), 2)
    await expectDelivery(all, [a, c], 'e2')
  })

  test('broadcastToRoom excluding a non-member still reaches every member', async () => {
    assert.equal(h.srv.wss.broadcastToRoom('room', 'e', d.conn), 3)
    await expectDelivery(all, [a, b, c], 'e')
  })

  test('broadcastJsonToRoom reaches the members only, with exclude as connection and id', async () => {
    assert.equal(h.srv.wss.broadcastJsonToRoom('room', { ok: true }), 3)
    await expectDelivery(all, [a, b, c], '{"ok":true}')
    assert.equal(h.srv.wss.broadcastJsonToRoom('room', null, c.conn), 2)
    await expectDelivery(all, [a, b], 'null')
    assert.equal(h.srv.wss.broadcastJsonToRoom('room', 7, a.conn.id), 2)
    await expectDelivery(all, [b, c], '7')
  })

  test('a room of one other connection is reached exactly once', async () => {
    d.conn.join('other')
    assert.equal(h.srv.wss.broadcastToRoom('other', 'only-d'), 1)
    await expectDelivery(all, [d], 'only-d')
  })

  test('an empty or unknown room returns 0 and reaches nobody', async () => {
    a.conn.join('left')
    a.conn.leave('left')
    assert.equal(h.srv.wss.broadcastToRoom('left', 'x'), 0)
    assert.equal(h.srv.wss.broadcastToRoom('unknown', 'x'), 0)
    assert.equal(h.srv.wss.broadcastJsonToRoom('unknown', { x: 1 }), 0)
    await expectDelivery(all, [], 'x')
  })

  test('an invalid room name throws ERR_INVALID_ROOM and sends nothing', async () => {
    for (const room of ['', 'x'.repeat(257), 5 as unknown as string]) {
      assertCode(() => h.srv.wss.broadcastToRoom(room, 'x'), 'RoomcastError', 'ERR_INVALID_ROOM')
      assertCode(() => h.srv.wss.broadcastJsonToRoom(room, 1), 'RoomcastError', 'ERR_INVALID_ROOM')
    }
    await expectDelivery(all, [], 'x')
  })
})

describe('conn.broadcast and conn.broadcastJson', () => {
  test('conn.broadcast reaches the other members, not the sender, and returns 2', async () => {
    assert.equal(a.conn.broadcast('room', 'from-a'), 2)
    await expectDelivery(all, [b, c], 'from-a')
  })

  test('conn.broadcast(buffer) arrives as binary', async () => {
    assert.equal(b.conn.broadcast('room', Buffer.from([1, 2])), 2)
    await expectDelivery(all, [a, c], Buffer.from([1, 2]))
  })

  test('conn.broadcastJson reaches the other members, not the sender, and returns 2', async () => {
    assert.equal(c.conn.broadcastJson('room', { from: 'c' }), 2)
    await expectDelivery(all, [a, b], '{"from":"c"}')
  })

  test('a sender outside the room reaches every member', async () => {
    assert.equal(d.conn.broadcast('room', 'from-d'), 3)
    await expectDelivery(all, [a, b, c], 'from-d')
  })

  test('the only member of a room reaches nobody; an unknown room returns 0', async () => {
    d.conn.join('alone')
    assert.equal(d.conn.broadcast('alone', 'x'), 0)
    assert.equal(d.conn.broadcastJson('alone', 'x'), 0)
    assert.equal(a.conn.broadcast('unknown', 'x'), 0)
    assert.equal(a.conn.broadcastJson('unknown', 'x'), 0)
    await expectDelivery(all, [], 'x')
  })

  test('an invalid room name throws ERR_INVALID_ROOM', async () => {
    for (const room of ['', 'x'.repeat(257), undefined as unknown as string]) {
      assertCode(() => a.conn.broadcast(room, 'x'), 'RoomcastError', 'ERR_INVALID_ROOM')
      assertCode(() => a.conn.broadcastJson(room, 'x'), 'RoomcastError', 'ERR_INVALID_ROOM')
    }
    await expectDelivery(all, [], 'x')
  })
})

describe('closed connections and bad data', () => {
  test('a connection that closed is not counted nor sent to', async () => {
    d.client.close()
    await eventually(() => h.srv.wss.getConnectionCount() === 3, 'server saw d close')
    b.client.ws.terminate()
    await eventually(() => h.srv.wss.getConnectionCount() === 2, 'server saw b drop')
    assert.equal(h.srv.wss.broadcast('x'), 2)
    await expectDelivery([a, c], [a, c], 'x')
    assert.equal(h.srv.wss.broadcastToRoom('room', 'y'), 2)
    await expectDelivery([a, c], [a, c], 'y')
    assert.equal(a.conn.broadcast('room', 'z'), 1)
    await expectDelivery([a, c], [c], 'z')
  })

  test('a connection that is closing is not counted', async () => {
    c.conn.close(1000)
    // All three in the tick of close(): the connection is closing, not yet gone from the server.
    assert.equal(h.srv.wss.getConnectionCount(), 4)
    assert.equal(h.srv.wss.broadcast('x'), 3)
    assert.equal(h.srv.wss.broadcastToRoom('room', 'y'), 2)
    assert.equal(a.conn.broadcast('room', 'z'), 1)
    const received = (client: TestClient, n: number) =>
      Promise.all(Array.from({ length: n }, () => client.next(2000)))
    assert.deepEqual(await received(a.client, 2), ['x', 'y'])
    assert.deepEqual(await received(b.client, 3), ['x', 'y', 'z'])
    assert.deepEqual(await received(d.client, 1), ['x'])
    assert.equal((await within(c.client.closed, 2000, 'c closed')).code, 1000)
    await Promise.all([a, b, c, d].map((p) => p.client.nothingWithin(100)))
  })

  test('data that is not a string or bytes throws TypeError ERR_INVALID_PAYLOAD', async () => {
    for (const data of [{ a: 1 }, 42, null, undefined, [1, 2], true]) {
      const bad = data as unknown as string
      assertCode(() => h.srv.wss.broadcast(bad), 'TypeError', 'ERR_INVALID_PAYLOAD')
      assertCode(() => h.srv.wss.broadcast(bad, a.conn), 'TypeError', 'ERR_INVALID_PAYLOAD')
      assertCode(() => h.srv.wss.broadcastToRoom('room', bad), 'TypeError', 'ERR_INVALID_PAYLOAD')
      assertCode(() => a.conn.broadcast('room', bad), 'TypeError', 'ERR_INVALID_PAYLOAD')
    }
    await expectDelivery(all, [], 'x')
  })
})

describe('server query API', () => {
  test('getConnections, getConnection, getConnectionCount list exactly the open connections', async () => {
    const wss = h.srv.wss
    assert.equal(wss.getConnectionCount(), 4)
    assert.deepEqual(ids(wss.getConnections()), ids(all.map((p) => p.conn)))
    for (const pair of all) assert.equal(wss.getConnection(pair.conn.id), pair.conn)
    assert.equal(wss.getConnection('no-such-id'), undefined)
    assert.equal(wss.getConnection(''), undefined)
    assert.equal(new Set(wss.getConnections().map((conn) => conn.id)).size, 4)

    b.client.close()
    await eventually(() => wss.getConnectionCount() === 3, 'server saw b close')
    assert.deepEqual(ids(wss.getConnections()), ids([a.conn, c.conn, d.conn]))
    assert.equal(wss.getConnection(b.conn.id), undefined)
  })

  test('getRooms and getRoomConnections list exactly the rooms and their members', async () => {
    const wss = h.srv.wss
    d.conn.join('d-room')
    a.conn.join('d-room')
    assert.deepEqual(wss.getRooms().sort(), ['d-room', 'room'])
    assert.deepEqual(ids(wss.getRoomConnections('room')), ids([a.conn, b.conn, c.conn]))
    assert.deepEqual(ids(wss.getRoomConnections('d-room')), ids([a.conn, d.conn]))
    assert.deepEqual(wss.getRoomConnections('unknown'), [])

    d.client.close()
    await eventually(() => wss.getConnectionCount() === 3, 'server saw d close')
    assert.deepEqual(wss.getRooms().sort(), ['d-room', 'room'])
    assert.deepEqual(ids(wss.getRoomConnections('d-room')), [a.conn.id])
    a.conn.leave('d-room')
    assert.deepEqual(wss.getRooms(), ['room'])
  })

  test('the returned arrays are copies: changing them changes nothing', () => {
    const wss = h.srv.wss
    wss.getConnections().length = 0
    wss.getRooms().push('fake')
    wss.getRoomConnections('room').pop()
    a.conn.getRooms().push('fake')
    assert.equal(wss.getConnectionCount(), 4)
    assert.equal(wss.getConnections().length, 4)
    assert.deepEqual(wss.getRooms(), ['room'])
    assert.equal(wss.getRoomConnections('room').length, 3)
    assert.deepEqual(a.conn.getRooms(), ['room'])
  })
})

describe('per-connection order', () => {
  test('a send to one connection reaches the kernel at once; a broadcast waits for the end of the phase', async () => {
    // An uncongested socket takes a small write synchronously: nothing stays buffered.
    assert.equal(a.conn.send('reply'), true)
    assert.equal(a.conn.bufferedAmount, 0)
    assert.equal(a.conn.json({ reply: 2 }), true)
    assert.equal(a.conn.bufferedAmount, 0)
    // A broadcast is held (corked) for this turn, and a send behind it waits with it.
    assert.equal(h.srv.wss.broadcastToRoom('room', 'room-1'), 3)
    const held = a.conn.bufferedAmount
    assert.ok(held > 0, 'the broadcast is coalesced until the I/O phase ends')
    assert.equal(a.conn.send('after'), true)
    assert.ok(a.conn.bufferedAmount > held, 'a send behind held bytes keeps its place')
    await new Promise((resolve) => setImmediate(resolve))
    await eventually(() => a.conn.bufferedAmount === 0, 'the batch flushed')
    const got: Array<string | Buffer> = []
    for (let i = 0; i < 4; i++) got.push(await a.client.next(2000))
    assert.deepEqual(got, ['reply', '{"reply":2}', 'room-1', 'after'])
  })

  test('50 interleaved conn.send and broadcastToRoom calls in one tick arrive in call order', async () => {
    const expected: string[] = []
    const broadcasts: string[] = []
    for (let i = 0; i < 50; i++) {
      if (i % 3 === 0) {
        const text = `send-${i}`
        assert.equal(a.conn.send(text), true)
        expected.push(text)
      } else {
        const text = `room-${i}`
        assert.equal(h.srv.wss.broadcastToRoom('room', text), 3)
        expected.push(text)
        broadcasts.push(text)
      }
    }
    const got: Array<string | Buffer> = []
    for (let i = 0; i < expected.length; i++) got.push(await a.client.next(2000))
    assert.deepEqual(got, expected)
    const gotB: Array<string | Buffer> = []
    for (let i = 0; i < broadcasts.length; i++) gotB.push(await b.client.next(2000))
    assert.deepEqual(gotB, broadcasts)
    await Promise.all([a.client.nothingWithin(100), b.client.nothingWithin(100)])
  })

  test('text and binary, send and broadcast, interleaved, keep their order and frame types', async () => {
    const expected: Array<string | Buffer> = []
    for (let i = 0; i < 20; i++) {
      if (i % 2 === 0) {
        a.conn.send(Buffer.from([i]))
        expected.push(Buffer.from([i]))
      } else {
        h.srv.wss.broadcastJsonToRoom('room', { i })
        expected.push(JSON.stringify({ i }))
      }
    }
    const got: Array<string | Buffer> = []
    for (let i = 0; i < expected.length; i++) got.push(await a.client.next(2000))
    assert.deepEqual(got, expected)
  })

  test('with permessage-deflate, compressed and uncompressed messages keep their order', async () => {
    const deflating = await harness({ perMessageDeflate: { threshold: 64 } })
    try {
      const one = await deflating.open()
      const two = await deflating.open()
      assert.match(String(one.client.ws.extensions), /permessage-deflate/)
      one.conn.join('room')
      two.conn.join('room')
      const expected: string[] = []
      for (let i = 0; i < 50; i++) {
        // Even steps are small (sent as is), odd steps large (compressed): ws must not reorder.
        const text = i % 2 === 0 ? `small-${i}` : `large-${i}-${'x'.repeat(2000)}`
        if (i % 5 === 0) one.conn.send(text)
        else assert.equal(deflating.srv.wss.broadcastToRoom('room', text), 2)
        expected.push(text)
      }
      const got: Array<string | Buffer> = []
      for (let i = 0; i < expected.length; i++) got.push(await one.client.next(2000))
      assert.deepEqual(got, expected)
      const gotTwo: Array<string | Buffer> = []
      for (let i = 0; i < 40; i++) gotTwo.push(await two.client.next(2000))
      assert.deepEqual(
        gotTwo,
        expected.filter((_, i) => i % 5 !== 0),
      )
    } finally {
      await deflating.close()
    }
  })
})
