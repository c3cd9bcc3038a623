/** systemController through ControllerRouter: join/leave, validation, authorizeJoin, single-room mode, limits. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ReplyError } from '../src/message/controllers.ts'
import { systemController } from '../src/message/system-controller.ts'
import { type FakeConn, type FakeServer, send, setup } from './helpers/controller-fakes.ts'
import { deferred } from './helpers/deferred.ts'
import { within } from './helpers/timeout.ts'

describe('systemController', () => {
  function system(options: Parameters<typeof systemController<FakeConn, FakeServer>>[0] = {}) {
    return setup(systemController<FakeConn, FakeServer>(options))
  }
  const join = (roomName: unknown, requestId?: number) => ({
    type: 'system',
    action: 'joinRoom',
    data: { roomName },
    ...(requestId === undefined ? {} : { requestId }),
  })
  const leave = (roomName: string) => ({ type: 'system', action: 'leaveRoom', data: { roomName } })
  const codeOf = (message: unknown) => (message as { error?: { code: string } }).error?.code

  test('joinRoom and leaveRoom answer { room, rooms }', async () => {
    const ctx = system()
    await send(ctx, join('lobby', 1))
    await send(ctx, join('game'))
    await send(ctx, leave('lobby'))
    assert.deepEqual(ctx.conn.sent, [
      {
        type: 'system',
        action: 'joinRoom',
        requestId: 1,
        data: { room: 'lobby', rooms: ['lobby'] },
      },
      { type: 'system', action: 'joinRoom', data: { room: 'game', rooms: ['lobby', 'game'] } },
      { type: 'system', action: 'leaveRoom', data: { room: 'lobby', rooms: ['game'] } },
    ])
  })

  test('roomName must be a 1–256 character string', async () => {
    const ctx = system()
    for (const name of [undefined, 7, '', 'x'.repeat(257)]) await send(ctx, join(name))
    await send(ctx, { type: 'system', action: 'joinRoom', data: 'lobby' })
    await send(ctx, join('x'.repeat(256)))
    const replies = ctx.conn.sent as { error?: { code: string; issues: { path: unknown[] }[] } }[]
    assert.deepEqual(
      replies.slice(0, 5).map((r) => [r.error?.code, r.error?.issues[0]?.path]),
      [
        ['ERR_VALIDATION', ['roomName']],
        ['ERR_VALIDATION', ['roomName']],
        ['ERR_VALIDATION', ['roomName']],
        ['ERR_VALIDATION', ['roomName']],
        ['ERR_VALIDATION', []],
      ],
    )
    assert.equal(replies[5]?.error, undefined)
  })

  test('authorizeJoin: false, a throw or a rejection → ERR_FORBIDDEN and no join', async () => {
    const calls: [string, string][] = []
    const ctx = system({
      authorizeJoin: (conn, room) => {
        calls.push([conn.id, room])
        if (room === 'throws') throw new Error('auth backend down')
        if (room === 'rejects') return Promise.reject(new Error('down'))
        if (room === 'async-no') return Promise.resolve(false)
        if (room === 'async-yes') return Promise.resolve(true)
        if (room === 'custom') throw new ReplyError('ERR_ROOM_FULL', 'Room is full')
        return room === 'open'
      },
    })
    for (const room of ['secret', 'throws', 'rejects', 'async-no', 'custom', 'async-yes', 'open']) {
      await send(ctx, join(room))
    }
    assert.deepEqual(ctx.conn.sent.map(codeOf), [
      'ERR_FORBIDDEN',
      'ERR_FORBIDDEN',
      'ERR_FORBIDDEN',
      'ERR_FORBIDDEN',
      'ERR_ROOM_FULL',
      undefined,
      undefined,
    ])
    assert.deepEqual(ctx.conn.getRooms(), ['async-yes', 'open'])
    assert.deepEqual(calls[0], ['c1', 'secret'])
    assert.deepEqual(ctx.deps.reported, [], 'refusals are answers, not server errors')
  })

  test('a connection that closes while authorizeJoin runs joins nothing', async () => {
    const gate = deferred<boolean>()
    const ctx = system({ authorizeJoin: () => gate.promise })
    const pending = ctx.router.dispatch(ctx.conn, join('late'), ctx.deps)
    ctx.conn.close()
    gate.resolve(true)
    await within(Promise.resolve(pending), 1000, 'dispatch')
    assert.deepEqual(ctx.conn.getRooms(), [])
    assert.deepEqual(ctx.conn.sent, [])
  })

  test('clientCanJoinMultipleRooms: false leaves every other room first', async () => {
    const ctx = system({ clientCanJoinMultipleRooms: false })
    ctx.conn.join('server-side')
    await send(ctx, join('a'))
    await send(ctx, join('b'))
    await send(ctx, join('b'))
    assert.deepEqual(
      ctx.conn.sent.map((m) => (m as { data: unknown }).data),
      [
        { room: 'a', rooms: ['a'] },
        { room: 'b', rooms: ['b'] },
        { room: 'b', rooms: ['b'] },
      ],
    )
  })

  test('the room limit answers ERR_MAX_ROOMS', async () => {
    const ctx = system()
    ctx.conn.maxRooms = 1
    await send(ctx, join('a'))
    await send(ctx, join('b'))
    assert.deepEqual(ctx.conn.sent.map(codeOf), [undefined, 'ERR_MAX_ROOMS'])
    assert.deepEqual(ctx.deps.reported, [])
  })

  test('options are checked', () => {
    assert.throws(
      () => systemController({ authorizeJoin: 'yes' as never }),
      /authorizeJoin must be a function/,
    )
    assert.throws(
      () => systemController({ clientCanJoinMultipleRooms: 'no' as never }),
      /clientCanJoinMultipleRooms must be a boolean/,
    )
  })
})
