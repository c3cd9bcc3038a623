/** wss.to()/except()/filter(): unions, exclusions and predicates over one target vocabulary. */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { type Harness, harness, nextOfEach, openMembers, type Pair } from './helpers/capture.ts'

let h: Harness
let a: Pair
let b: Pair
let c: Pair
let d: Pair

const received = (...pairs: Pair[]) => nextOfEach(pairs)

beforeEach(async () => {
  h = await harness()
  ;[a, b, c, d] = (await openMembers(h, [['x'], ['x', 'y'], ['y'], []])) as [Pair, Pair, Pair, Pair]
})

afterEach(async () => {
  await h.close()
})

describe('wss.to()', () => {
  test('several rooms are a union and a member of both receives the message once', async () => {
    assert.equal(h.srv.wss.to('x', 'y').send('u'), 3)
    assert.deepEqual(await received(a, b, c, d), ['u', 'u', 'u', null])
    assert.deepEqual(await received(b), [null], 'b got it once')
  })

  test('to() calls add up, and json() encodes once for every recipient', async () => {
    assert.equal(h.srv.wss.to('x').to('y').json({ n: 1 }), 3)
    assert.deepEqual(await received(a, b, c, d), ['{"n":1}', '{"n":1}', '{"n":1}', null])
  })

  test('an operator is immutable: chaining returns a new one', async () => {
    const room = h.srv.wss.to('x')
    const narrowed = room.except(a.conn)
    assert.equal(room.send('all of x'), 2)
    assert.deepEqual(await received(a, b), ['all of x', 'all of x'])
    assert.equal(narrowed.send('x but a'), 1)
    assert.deepEqual(await received(a, b), [null, 'x but a'])
  })

  test('an invalid room name throws ERR_INVALID_ROOM before anything is sent', async () => {
    assert.throws(() => h.srv.wss.to('x', ''), { code: 'ERR_INVALID_ROOM' })
    assert.deepEqual(await received(a, b), [null, null])
  })
})

describe('except()', () => {
  test('takes a connection, an id, or a room whose members are skipped', async () => {
    assert.equal(h.srv.wss.to('x', 'y').except(a.conn).send('1'), 2)
    assert.deepEqual(await received(a, b, c), [null, '1', '1'])
    assert.equal(h.srv.wss.to('x', 'y').except(c.conn.id).send('2'), 2)
    assert.deepEqual(await received(a, b, c), ['2', '2', null])
    assert.equal(h.srv.wss.to('x').except('y').send('3'), 1)
    assert.deepEqual(await received(a, b, c), ['3', null, null])
  })

  test('wss.except() targets every connection but those', async () => {
    assert.equal(h.srv.wss.except(d.conn, 'x').send('rest'), 1)
    assert.deepEqual(await received(a, b, c, d), [null, null, 'rest', null])
  })

  test('anything else is a TypeError', () => {
    assert.throws(() => h.srv.wss.except(5 as never), TypeError)
  })
})

describe('filter()', () => {
  test('sees each candidate connection; several filters must all accept', async () => {
    a.conn.metadata.role = 'admin'
    b.conn.metadata.role = 'admin'
    b.conn.metadata.muted = true
    const seen: string[] = []
    const count = h.srv.wss
      .filter((conn) => {
        seen.push(conn.id)
        return conn.metadata.role === 'admin'
      })
      .filter((conn) => conn.metadata.muted !== true)
      .send('admins')
    assert.equal(count, 1)
    assert.deepEqual(await received(a, b, c, d), ['admins', null, null, null])
    assert.deepEqual(seen.sort(), [a, b, c, d].map((p) => p.conn.id).sort())
  })

  test('combines with rooms and except', async () => {
    const count = h.srv.wss
      .to('y')
      .except(c.conn)
      .filter(() => true)
      .send('b only')
    assert.equal(count, 1)
    assert.deepEqual(await received(a, b, c, d), [null, 'b only', null, null])
  })

  test('a predicate that is not a function is a TypeError', () => {
    assert.throws(() => h.srv.wss.filter('x' as never), TypeError)
  })
})
