/** Rooms: the RoomIndex data structure, conn.join/leave/leaveAll/getRooms, validation, limits, cleanup on close. */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { MaxRoomsExceededError, RoomcastError, type WSConnection } from '../src/index.ts'
import { RoomIndex } from '../src/rooms.ts'
import { type Harness, harness, type Pair } from './helpers/capture.ts'
import { eventually, within } from './helpers/timeout.ts'

function sorted(list: Iterable<string>): string[] {
  return [...list].sort()
}

function ids(conns: WSConnection[]): string[] {
  return sorted(conns.map((c) => c.id))
}

function assertInvalidRoom(fn: () => unknown): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RoomcastError)
    assert.equal(error.code, 'ERR_INVALID_ROOM')
    return true
  })
}

describe('RoomIndex', () => {
  test('add records both directions and returns false for a repeat', () => {
    const index = new RoomIndex()
    assert.equal(index.add('a', 'r1'), true)
    assert.equal(index.add('a', 'r2'), true)
    assert.equal(index.add('b', 'r1'), true)
    assert.equal(index.add('a', 'r1'), false)
    assert.deepEqual(sorted(index.roomsOf('a') ?? []), ['r1', 'r2'])
    assert.deepEqual(sorted(index.roomsOf('b') ?? []), ['r1'])
    assert.deepEqual(sorted(index.membersOf('r1') ?? []), ['a', 'b'])
    assert.deepEqual(sorted(index.membersOf('r2') ?? []), ['a'])
    assert.deepEqual(sorted(index.rooms()), ['r1', 'r2'])
    assert.equal(index.size, 2)
    assert.equal(index.roomCountOf('a'), 2)
    assert.equal(index.roomCountOf('b'), 1)
    assert.equal(index.roomCountOf('nobody'), 0)
  })

  test('remove keeps both directions in step and drops a room when its last member leaves', () => {
    const index = new RoomIndex()
    index.add('a', 'r1')
    index.add('b', 'r1')
    index.add('a', 'r2')
    assert.equal(index.remove('a', 'r2'), true)
    assert.equal(index.membersOf('r2'), undefined)
    assert.deepEqual(sorted(index.rooms()), ['r1'])
    assert.deepEqual(sorted(index.roomsOf('a') ?? []), ['r1'])
    assert.equal(index.remove('a', 'r1'), true)
    assert.equal(index.roomsOf('a'), undefined)
    assert.deepEqual(sorted(index.membersOf('r1') ?? []), ['b'])
    assert.equal(index.size, 1)
    assert.equal(index.remove('b', 'r1'), true)
    assert.equal(index.membersOf('r1'), undefined)
    assert.equal(index.roomsOf('b'), undefined)
    assert.deepEqual(index.rooms(), [])
    assert.equal(index.size, 0)
  })

  test('remove of a membership that does not exist returns false and changes nothing', () => {
    const index = new RoomIndex()
    index.add('a', 'r1')
    assert.equal(index.remove('a', 'r2'), false)
    assert.equal(index.remove('b', 'r1'), false)
    assert.equal(index.remove('nobody', 'nowhere'), false)
    assert.deepEqual(sorted(index.membersOf('r1') ?? []), ['a'])
    assert.deepEqual(sorted(index.roomsOf('a') ?? []), ['r1'])
    assert.equal(index.size, 1)
  })

  test('removeAll takes a member out of every room; empty rooms vanish, shared rooms stay', () => {
    const index = new RoomIndex()
    index.add('a', 'solo1')
    index.add('a', 'solo2')
    index.add('a', 'shared')
    index.add('b', 'shared')
    index.removeAll('a')
    assert.equal(index.roomsOf('a'), undefined)
    assert.equal(index.roomCountOf('a'), 0)
    assert.equal(index.membersOf('solo1'), undefined)
    assert.equal(index.membersOf('solo2'), undefined)
    assert.deepEqual(sorted(index.membersOf('shared') ?? []), ['b'])
    assert.deepEqual(index.rooms(), ['shared'])
    assert.equal(index.size, 1)
    index.removeAll('unknown')
    assert.deepEqual(index.rooms(), ['shared'])
    assert.equal(index.add('a', 'solo1'), true)
    assert.deepEqual(sorted(index.rooms()), ['shared', 'solo1'])
  })
})

describe('conn.join / leave / leaveAll / getRooms', () => {
  let h: Harness
  beforeEach(async () => {
    h = await harness()
  })
  afterEach(async () => {
    await h.close()
  })

  test('join adds the connection to the room on both sides', async () => {
    const { conn } = await h.open()
    conn.join('a')
    conn.join('b')
    assert.deepEqual(sorted(conn.getRooms()), ['a', 'b'])
    assert.deepEqual(sorted(h.srv.wss.getRooms()), ['a', 'b'])
    assert.deepEqual(ids(h.srv.wss.getRoomConnections('a')), [conn.id])
    assert.equal(h.srv.wss.getRoomConnections('a')[0], conn)
    assert.deepEqual(h.srv.wss.getRoomConnections('unknown'), [])
  })

  test('joining a room twice is a no-op', async () => {
    const { conn } = await h.open()
    conn.join('a')
    conn.join('a')
    assert.deepEqual(conn.getRooms(), ['a'])
    assert.deepEqual(h.srv.wss.getRooms(), ['a'])
    assert.equal(h.srv.wss.getRoomConnections('a').length, 1)
    assert.equal(h.srv.wss.getStats().rooms, 1)
  })

  test('two connections in one room are both listed', async () => {
    const one = await h.open()
    const two = await h.open()
    one.conn.join('a')
    two.conn.join('a')
    assert.deepEqual(ids(h.srv.wss.getRoomConnections('a')), sorted([one.conn.id, two.conn.id]))
    assert.deepEqual(h.srv.wss.getRooms(), ['a'])
  })

  test('leave removes the room; an emptied room disappears, a room with members stays', async () => {
    const one = await h.open()
    const two = await h.open()
    one.conn.join('solo')
    one.conn.join('shared')
    two.conn.join('shared')
    one.conn.leave('solo')
    one.conn.leave('shared')
    assert.deepEqual(one.conn.getRooms(), [])
    assert.deepEqual(h.srv.wss.getRooms(), ['shared'])
    assert.deepEqual(ids(h.srv.wss.getRoomConnections('shared')), [two.conn.id])
    assert.deepEqual(h.srv.wss.getRoomConnections('solo'), [])
  })

  test('leaving a room not joined is a no-op', async () => {
    const { conn } = await h.open()
    conn.join('a')
    conn.leave('b')
    conn.leave('b')
    assert.deepEqual(conn.getRooms(), ['a'])
    assert.deepEqual(h.srv.wss.getRooms(), ['a'])
  })

  test('leaveAll leaves every room; rooms with other members stay', async () => {
    const one = await h.open()
    const two = await h.open()
    for (const room of ['x', 'y', 'z']) one.conn.join(room)
    two.conn.join('y')
    one.conn.leaveAll()
    assert.deepEqual(one.conn.getRooms(), [])
    assert.deepEqual(h.srv.wss.getRooms(), ['y'])
    assert.deepEqual(ids(h.srv.wss.getRoomConnections('y')), [two.conn.id])
    assert.deepEqual(two.conn.getRooms(), ['y'])
    one.conn.leaveAll()
    assert.deepEqual(h.srv.wss.getRooms(), ['y'])
    one.conn.join('x')
    assert.deepEqual(one.conn.getRooms(), ['x'])
  })

  test('room names: empty, 257 characters or not a string throw ERR_INVALID_ROOM; 256 is fine', async () => {
    const { conn } = await h.open()
    const bad: unknown[] = ['', 'x'.repeat(257), 42, undefined, null, {}, ['a']]
    for (const room of bad) {
      assertInvalidRoom(() => conn.join(room as string))
      assertInvalidRoom(() => conn.leave(room as string))
    }
    assert.deepEqual(conn.getRooms(), [])
    assert.deepEqual(h.srv.wss.getRooms(), [])
    const longest = 'x'.repeat(256)
    conn.join(longest)
    conn.join('y')
    assert.deepEqual(sorted(conn.getRooms()), [longest, 'y'])
    assert.deepEqual(sorted(h.srv.wss.getRooms()), [longest, 'y'])
  })
})

describe('room name characters', () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  test('control characters (NUL included) and non-NFC spellings throw ERR_INVALID_ROOM; Unicode in NFC is fine', async () => {
    h = await harness()
    const { conn } = await h.open()
    for (const room of ['a\u0000b', 'tab\there', 'line\n', 'del\u007f', 'c1\u0085', 'cafe\u0301']) {
      assertInvalidRoom(() => conn.join(room))
      assertInvalidRoom(() => h?.srv.wss.to(room).send('x'))
    }
    assert.throws(() => conn.join('cafe\u0301'), /use room.normalize\('NFC'\)/)
    conn.join('café')
    conn.join('チャット')
    conn.join('emoji 🎉')
    assert.deepEqual(sorted(conn.getRooms()), sorted(['café', 'チャット', 'emoji 🎉']))
  })
})

describe('maxRoomsPerConnection', () => {
  let h: Harness | undefined
  afterEach(async () => {
    await h?.close()
    h = undefined
  })

  test('the join past the limit throws MaxRoomsExceededError with ERR_MAX_ROOMS', async () => {
    h = await harness({ maxRoomsPerConnection: 3 })
    const { conn } = await h.open()
    conn.join('r1')
    conn.join('r2')
    conn.join('r3')
    assert.throws(
      () => conn.join('r4'),
      (error: unknown) => {
        assert.ok(error instanceof MaxRoomsExceededError)
        assert.ok(error instanceof RoomcastError)
        assert.equal(error.code, 'ERR_MAX_ROOMS')
        assert.equal(error.name, 'MaxRoomsExceededError')
        assert.equal(error.room, 'r4')
        assert.equal(error.limit, 3)
        return true
      },
    )
    assert.deepEqual(sorted(conn.getRooms()), ['r1', 'r2', 'r3'])
    assert.deepEqual(sorted(h.srv.wss.getRooms()), ['r1', 'r2', 'r3'])
  })

  test('re-joining a room already joined at the limit does not throw', async () => {
    h = await harness({ maxRoomsPerConnection: 3 })
    const { conn } = await h.open()
    for (const room of ['r1', 'r2', 'r3']) conn.join(room)
    conn.join('r2')
    conn.join('r3')
    assert.deepEqual(sorted(conn.getRooms()), ['r1', 'r2', 'r3'])
  })

  test('leaving a room frees a place under the limit', async () => {
    h = await harness({ maxRoomsPerConnection: 3 })
    const { conn } = await h.open()
    for (const room of ['r1', 'r2', 'r3']) conn.join(room)
    conn.leave('r1')
    conn.join('r4')
    assert.deepEqual(sorted(conn.getRooms()), ['r2', 'r3', 'r4'])
    assert.throws(() => conn.join('r5'), MaxRoomsExceededError)
  })

  test('the limit is per connection', async () => {
    h = await harness({ maxRoomsPerConnection: 3 })
    const one = await h.open()
    const two = await h.open()
    for (const room of ['r1', 'r2', 'r3']) one.conn.join(room)
    for (const room of ['r4', 'r5', 'r6']) two.conn.join(room)
    assert.throws(() => two.conn.join('r7'), MaxRoomsExceededError)
    assert.equal(h.srv.wss.getRooms().length, 6)
  })

  test('0 means unlimited: 150 rooms are allowed', async () => {
    h = await harness({ maxRoomsPerConnection: 0 })
    const { conn } = await h.open()
    for (let i = 0; i < 150; i++) conn.join(`room-${i}`)
    assert.equal(conn.getRooms().length, 150)
    assert.equal(h.srv.wss.getRooms().length, 150)
    assert.equal(h.srv.wss.getStats().rooms, 150)
  })

  test('the default is 100: the 101st join throws', async () => {
    h = await harness()
    const { conn } = await h.open()
    for (let i = 0; i < 100; i++) conn.join(`room-${i}`)
    assert.throws(
      () => conn.join('room-100'),
      (error: unknown) => {
        assert.ok(error instanceof MaxRoomsExceededError)
        assert.equal(error.code, 'ERR_MAX_ROOMS')
        assert.equal(error.limit, 100)
        return true
      },
    )
    assert.equal(conn.getRooms().length, 100)
    assert.equal(h.srv.wss.getRooms().includes('room-100'), false)
  })
})

describe('cleanup on close', () => {
  let h: Harness
  beforeEach(async () => {
    h = await harness()
  })
  afterEach(async () => {
    await h.close()
  })

  /** `leaver` is in `solo1`, `solo2` and `shared`; `stayer` is in `shared`. */
  async function twoMembers(): Promise<{ leaver: Pair; stayer: Pair }> {
    const leaver = await h.open()
    const stayer = await h.open()
    for (const room of ['solo1', 'solo2', 'shared']) leaver.conn.join(room)
    stayer.conn.join('shared')
    assert.deepEqual(sorted(h.srv.wss.getRooms()), ['shared', 'solo1', 'solo2'])
    return { leaver, stayer }
  }

  function assertLeaverGone(leaver: Pair, stayer: Pair): void {
    assert.deepEqual(h.srv.wss.getRooms(), ['shared'])
    assert.deepEqual(ids(h.srv.wss.getRoomConnections('shared')), [stayer.conn.id])
    assert.deepEqual(h.srv.wss.getRoomConnections('solo1'), [])
    // Closed: membership is gone, getRooms() keeps what it was in for close-time cleanup.
    assert.deepEqual(leaver.conn.getRooms(), ['solo1', 'solo2', 'shared'])
    assert.deepEqual(stayer.conn.getRooms(), ['shared'])
    assert.equal(h.srv.wss.getStats().rooms, 1)
  }

  test('a client that closes leaves all its rooms; empty rooms disappear', async () => {
    const { leaver, stayer } = await twoMembers()
    leaver.client.close(1000)
    assert.equal((await within(leaver.client.closed, 2000, 'client close')).code, 1000)
    await eventually(() => h.srv.wss.getConnectionCount() === 1, 'server saw the close')
    assertLeaverGone(leaver, stayer)
  })

  test('a client that drops without a close frame leaves all its rooms', async () => {
    const { leaver, stayer } = await twoMembers()
    leaver.client.ws.terminate()
    await eventually(() => h.srv.wss.getConnectionCount() === 1, 'server saw the drop')
    assertLeaverGone(leaver, stayer)
  })

  test('conn.terminate() on the server leaves all its rooms', async () => {
    const { leaver, stayer } = await twoMembers()
    leaver.conn.terminate()
    assert.equal((await within(leaver.client.closed, 2000, 'client close')).code, 1006)
    await eventually(() => h.srv.wss.getConnectionCount() === 1, 'server saw the terminate')
    assertLeaverGone(leaver, stayer)
  })

  test('conn.close() on the server leaves all its rooms', async () => {
    const { leaver, stayer } = await twoMembers()
    leaver.conn.close(4000, 'bye')
    assert.deepEqual(await within(leaver.client.closed, 2000, 'client close'), {
      code: 4000,
      reason: 'bye',
    })
    await eventually(() => h.srv.wss.getConnectionCount() === 1, 'server saw the close')
    assertLeaverGone(leaver, stayer)
  })

  test("close listeners already see the connection's rooms gone", async () => {
    const { leaver } = await twoMembers()
    const seen = new Promise<string[]>((resolve) => {
      leaver.conn.on('close', () => resolve(h.srv.wss.getRooms().sort()))
    })
    leaver.client.close()
    assert.deepEqual(await within(seen, 2000, 'close listener'), ['shared'])
  })

  test('joining after the connection closed does not bring a room back', async () => {
    const { leaver, stayer } = await twoMembers()
    leaver.client.close()
    await eventually(() => h.srv.wss.getConnectionCount() === 1, 'server saw the close')
    leaver.conn.join('late')
    assert.deepEqual(leaver.conn.getRooms(), ['solo1', 'solo2', 'shared'])
    assert.deepEqual(h.srv.wss.getRoomConnections('late'), [])
    assertLeaverGone(leaver, stayer)
  })
})
