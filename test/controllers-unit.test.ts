/** ControllerRouter against an in-memory connection: replies, errors, schemas, routing forms, seed 004. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { z } from 'zod'
import { ErrorCode, RoomcastError } from '../src/errors.ts'
import {
  type ControllerConnection,
  type ControllerRoute,
  ControllerRouter,
  isEnvelope,
  ReplyError,
} from '../src/message/controllers.ts'
import { defineAction, defineControllers } from '../src/message/typed.ts'
import { type FakeConn, type FakeServer, send, setup } from './helpers/controller-fakes.ts'
import { deferred } from './helpers/deferred.ts'
import { within } from './helpers/timeout.ts'

const echo: ControllerRoute<FakeConn, FakeServer> = {
  type: 'chat',
  action: 'echo',
  handler: (_conn, data) => ({ echoed: data }),
}

function failWith(error: unknown): ControllerRoute<FakeConn, FakeServer> {
  return {
    type: 't',
    action: 'fail',
    handler: () => {
      throw error
    },
  }
}

describe('isEnvelope', () => {
  test('accepts { type, action } with optional data and string or number requestId', () => {
    assert.ok(isEnvelope({ type: 'a', action: 'b' }))
    assert.ok(isEnvelope({ type: 'a', action: 'b', data: null, requestId: 'x' }))
    assert.ok(isEnvelope({ type: 'a', action: 'b', requestId: 0 }))
  })

  test('rejects everything else', () => {
    for (const value of [
      null,
      'text',
      42,
      [],
      [{ type: 'a', action: 'b' }],
      Buffer.from('{}'),
      { type: 'a' },
      { action: 'b' },
      { type: 1, action: 'b' },
      { type: 'a', action: 'b', requestId: { id: 1 } },
      { type: 'a', action: 'b', requestId: Number.NaN },
    ]) {
      assert.equal(isEnvelope(value), false, JSON.stringify(value))
    }
  })
})

describe('ControllerRouter replies', () => {
  test('a sync result is answered synchronously with requestId echoed', () => {
    const { router, conn, deps } = setup([echo])
    const handled = router.dispatch(
      conn,
      { type: 'chat', action: 'echo', data: 1, requestId: 'r1' },
      deps,
    )
    assert.equal(handled, true, 'no promise for a sync handler')
    assert.deepEqual(conn.sent, [
      { type: 'chat', action: 'echo', requestId: 'r1', data: { echoed: 1 } },
    ])
  })

  test('numeric requestIds (0 included) are echoed; absent ones are left out', async () => {
    const ctx = setup([echo])
    await send(ctx, { type: 'chat', action: 'echo', requestId: 0 })
    await send(ctx, { type: 'chat', action: 'echo', requestId: 42, data: 'x' })
    await send(ctx, { type: 'chat', action: 'echo', data: 'y' })
    assert.deepEqual(ctx.conn.sent, [
      { type: 'chat', action: 'echo', requestId: 0, data: {} },
      { type: 'chat', action: 'echo', requestId: 42, data: { echoed: 'x' } },
      { type: 'chat', action: 'echo', data: { echoed: 'y' } },
    ])
  })

  test('undefined sends nothing; null is a reply', async () => {
    const ctx = setup([
      { type: 't', action: 'none', handler: () => undefined },
      { type: 't', action: 'null', handler: () => null },
    ])
    assert.deepEqual(await send(ctx, { type: 't', action: 'none', requestId: 1 }), [])
    assert.deepEqual(await send(ctx, { type: 't', action: 'null' }), [
      { type: 't', action: 'null', data: null },
    ])
  })

  test('async handlers reply once resolved; dispatch resolves true', async () => {
    const ctx = setup([{ type: 't', action: 'a', handler: async (_c, data) => ({ got: data }) }])
    const handled = ctx.router.dispatch(ctx.conn, { type: 't', action: 'a', data: 5 }, ctx.deps)
    assert.ok(handled instanceof Promise)
    assert.equal(await handled, true)
    assert.deepEqual(ctx.conn.sent, [{ type: 't', action: 'a', data: { got: 5 } }])
  })

  test('ctx carries type, action, requestId, the server, and a signal aborted on close', async () => {
    let seen: { type: string; action: string; requestId: unknown; server: unknown } | undefined
    let signal: AbortSignal | undefined
    const ctx = setup([
      {
        type: 't',
        action: 'ctx',
        handler: (_c, _d, context) => {
          seen = {
            type: context.type,
            action: context.action,
            requestId: context.requestId,
            server: context.server,
          }
          signal = context.signal
        },
      },
    ])
    await send(ctx, { type: 't', action: 'ctx', requestId: 'q' })
    assert.deepEqual(seen, { type: 't', action: 'ctx', requestId: 'q', server: ctx.deps.server })
    assert.equal(signal?.aborted, false)
    ctx.conn.close()
    assert.equal(signal?.aborted, true)
  })
})

describe('ControllerRouter errors', () => {
  test('a plain Error becomes ERR_INTERNAL and goes to reportError, not to the client', async () => {
    const boom = new Error('database password is hunter2')
    const ctx = setup([failWith(boom)])
    assert.deepEqual(await send(ctx, { type: 't', action: 'fail', requestId: 9 }), [
      {
        type: 'error',
        action: 'fail',
        requestId: 9,
        error: { code: 'ERR_INTERNAL', message: 'Internal error' },
      },
    ])
    assert.deepEqual(ctx.deps.reported, [boom])
  })

  test('a thrown non-Error is reported as an Error', async () => {
    const ctx = setup([failWith('just a string')])
    await send(ctx, { type: 't', action: 'fail' })
    assert.equal(ctx.deps.reported[0]?.message, 'just a string')
  })

  test('a ReplyError is sent as it is, details included, and not reported', async () => {
    const ctx = setup([failWith(new ReplyError('ERR_NOT_FOUND', 'No such item', { id: 3 }))])
    assert.deepEqual(await send(ctx, { type: 't', action: 'fail', requestId: 'a' }), [
      {
        type: 'error',
        action: 'fail',
        requestId: 'a',
        error: { code: 'ERR_NOT_FOUND', message: 'No such item', details: { id: 3 } },
      },
    ])
    assert.deepEqual(ctx.deps.reported, [])
    assert.throws(() => new ReplyError('', 'x'), TypeError)
  })

  test('expose === true opts an error in; without a code it gets ERR_HANDLER', async () => {
    const coded = Object.assign(new Error('Quota reached'), { expose: true, code: 'ERR_QUOTA' })
    const bare = Object.assign(new Error('Try later'), { expose: true })
    const ctx = setup([failWith(coded), { ...failWith(bare), action: 'bare' }])
    await send(ctx, { type: 't', action: 'fail' })
    await send(ctx, { type: 't', action: 'bare' })
    assert.deepEqual(
      ctx.conn.sent.map((m) => (m as { error: unknown }).error),
      [
        { code: 'ERR_QUOTA', message: 'Quota reached' },
        { code: 'ERR_HANDLER', message: 'Try later' },
      ],
    )
    assert.deepEqual(ctx.deps.reported, [])
  })

  test('roomcast ERR_MAX_ROOMS / ERR_INVALID_ROOM are exposed, other roomcast errors are not', async () => {
    const closed = new RoomcastError(ErrorCode.ServerClosed, 'server closed')
    const ctx = setup([
      { type: 'r', action: 'join', handler: (conn) => conn.join('') },
      { ...failWith(closed), type: 'r' },
    ])
    await send(ctx, { type: 'r', action: 'join' })
    await send(ctx, { type: 'r', action: 'fail' })
    assert.deepEqual(
      ctx.conn.sent.map((m) => (m as { error: { code: string } }).error.code),
      ['ERR_INVALID_ROOM', 'ERR_INTERNAL'],
    )
    assert.deepEqual(ctx.deps.reported, [closed])
  })

  test('a rejected promise is answered like a throw', async () => {
    const ctx = setup([
      {
        type: 't',
        action: 'a',
        handler: async () => {
          throw new ReplyError('ERR_BUSY', 'Busy')
        },
      },
    ])
    assert.deepEqual(await send(ctx, { type: 't', action: 'a' }), [
      { type: 'error', action: 'a', error: { code: 'ERR_BUSY', message: 'Busy' } },
    ])
  })

  test('a result JSON cannot hold becomes ERR_INTERNAL, reported', async () => {
    const ctx = setup([{ type: 't', action: 'big', handler: () => ({ n: 1n }) }])
    await send(ctx, { type: 't', action: 'big' })
    assert.deepEqual(ctx.conn.sent, [
      { type: 'error', action: 'big', error: { code: 'ERR_INTERNAL', message: 'Internal error' } },
    ])
    assert.ok(ctx.deps.reported[0] instanceof TypeError)
  })

  test('unknown type or action → ERR_UNKNOWN_ACTION, echoing action and requestId', async () => {
    const ctx = setup([echo])
    await send(ctx, { type: 'chat', action: 'nope', requestId: 3 })
    await send(ctx, { type: 'other', action: 'echo' })
    assert.deepEqual(ctx.conn.sent, [
      {
        type: 'error',
        action: 'nope',
        requestId: 3,
        error: { code: 'ERR_UNKNOWN_ACTION', message: 'Unknown type or action' },
      },
      {
        type: 'error',
        action: 'echo',
        error: { code: 'ERR_UNKNOWN_ACTION', message: 'Unknown type or action' },
      },
    ])
  })

  test('invalid envelopes → ERR_INVALID_MESSAGE "Invalid message format"', async () => {
    const ctx = setup([echo])
    const invalid = ['hello', [1, 2], { type: 'chat' }, null, Buffer.from('x'), { type: 1 }]
    for (const message of invalid)
      assert.equal(ctx.router.dispatch(ctx.conn, message, ctx.deps), true)
    const expected = {
      type: 'error',
      error: { code: 'ERR_INVALID_MESSAGE', message: 'Invalid message format' },
    }
    assert.deepEqual(
      ctx.conn.sent,
      invalid.map(() => expected),
    )
    await send(ctx, { action: 'echo', requestId: 'k' })
    assert.deepEqual(ctx.conn.sent.at(-1), { ...expected, action: 'echo', requestId: 'k' })
  })

  test('fallthrough: unknown actions and non-envelopes return false and send nothing', async () => {
    const ctx = setup([echo], true)
    assert.equal(ctx.router.dispatch(ctx.conn, { type: 'x', action: 'y' }, ctx.deps), false)
    assert.equal(ctx.router.dispatch(ctx.conn, 'plain text', ctx.deps), false)
    assert.equal(ctx.router.dispatch(ctx.conn, { type: 'chat' }, ctx.deps), false)
    assert.equal(ctx.router.dispatch(ctx.conn, { type: 'chat', action: 'echo' }, ctx.deps), true)
    assert.equal(ctx.conn.sent.length, 1)
  })

  test('a reply or error ready after the connection closed is dropped and counted', async () => {
    const gate = deferred()
    const ctx = setup([
      {
        type: 't',
        action: 'slow',
        handler: async () => {
          await gate.promise
          return 'late'
        },
      },
      {
        type: 't',
        action: 'slowFail',
        handler: async () => {
          await gate.promise
          throw new Error('late failure')
        },
      },
    ])
    const pending = [
      ctx.router.dispatch(ctx.conn, { type: 't', action: 'slow' }, ctx.deps),
      ctx.router.dispatch(ctx.conn, { type: 't', action: 'slowFail' }, ctx.deps),
    ]
    ctx.conn.close()
    gate.resolve()
    assert.deepEqual(await within(Promise.all(pending), 1000, 'dispatch'), [true, true])
    assert.deepEqual(ctx.conn.sent, [])
    assert.equal(ctx.deps.dropped, 2)
  })
})

describe('ControllerRouter schemas', () => {
  const schema = z.object({ text: z.string().min(1), tag: z.string().default('none') })
  const route = defineAction<typeof schema, unknown, FakeConn, FakeServer>({
    type: 'chat',
    action: 'send',
    schema,
    handler: (_conn, data) => data,
  })

  test('valid data reaches the handler as the schema output', async () => {
    const ctx = setup([route])
    await send(ctx, { type: 'chat', action: 'send', data: { text: 'hi', extra: true } })
    assert.deepEqual(ctx.conn.sent, [
      { type: 'chat', action: 'send', data: { text: 'hi', tag: 'none' } },
    ])
  })

  test('invalid data → ERR_VALIDATION with the issues; the handler does not run', async () => {
    let ran = false
    const ctx = setup([
      {
        ...route,
        handler: () => {
          ran = true
        },
      },
    ])
    await send(ctx, { type: 'chat', action: 'send', data: { text: 42 }, requestId: 'v' })
    assert.equal(ran, false)
    const [reply] = ctx.conn.sent as {
      action: string
      requestId: string
      error: { code: string; issues: { path: unknown[]; message: string }[] }
    }[]
    assert.equal(reply?.action, 'send')
    assert.equal(reply?.requestId, 'v')
    assert.equal(reply?.error.code, 'ERR_VALIDATION')
    assert.deepEqual(
      reply?.error.issues.map((i) => i.path),
      [['text']],
    )
    assert.equal(typeof reply?.error.issues[0]?.message, 'string')
  })

  test('async schemas work too', async () => {
    const slow = z.string().refine(async (s) => s === 'ok', 'must be ok')
    const ctx = setup([{ type: 'a', action: 'b', schema: slow, handler: (_c, d) => d }])
    await send(ctx, { type: 'a', action: 'b', data: 'ok' })
    await send(ctx, { type: 'a', action: 'b', data: 'no' })
    assert.deepEqual(ctx.conn.sent[0], { type: 'a', action: 'b', data: 'ok' })
    assert.equal((ctx.conn.sent[1] as { error: { code: string } }).error.code, 'ERR_VALIDATION')
  })
})

describe('ControllerRouter controllers (seed 004)', () => {
  /** Seed 004's ChatController, in roomcast's names: arrow-function actions using the server. */
  class ChatController {
    static instances = 0
    readonly server: FakeServer

    constructor(server: FakeServer) {
      ChatController.instances++
      this.server = server
    }

    send = (conn: FakeConn, data: { text?: string; username?: string }) => {
      this.server.broadcastToAllClients({
        data: {
          type: 'chat',
          action: 'message',
          data: { username: data?.username || 'Anonymous', message: data?.text || '' },
        },
      })
      return { success: true, messageId: conn.id.length }
    }

    typing = (conn: FakeConn, data: { username?: string }) => {
      this.server.broadcastToAllClients({
        data: { type: 'chat', action: 'userTyping', data: { username: data?.username } },
        excludeClientId: conn.id,
      })
      return { success: true }
    }
  }

  test('routes { type, action, controllerName, controller } share one lazy instance', async () => {
    ChatController.instances = 0
    const ctx = setup([
      { type: 'chat', action: 'send', controllerName: 'chat', controller: ChatController },
      { type: 'chat', action: 'typing', controllerName: 'chat', controller: ChatController },
    ])
    assert.equal(ChatController.instances, 0, 'not built before the first message')
    await send(ctx, { type: 'chat', action: 'send', data: { username: 'Alice', text: 'Hi!' } })
    await send(ctx, { type: 'chat', action: 'typing', data: { username: 'Alice' }, requestId: 2 })
    assert.equal(ChatController.instances, 1)
    assert.deepEqual(ctx.conn.sent, [
      { type: 'chat', action: 'send', data: { success: true, messageId: 2 } },
      { type: 'chat', action: 'typing', requestId: 2, data: { success: true } },
    ])
    assert.deepEqual(ctx.deps.server.broadcasts, [
      {
        data: { type: 'chat', action: 'message', data: { username: 'Alice', message: 'Hi!' } },
      },
      {
        data: { type: 'chat', action: 'userTyping', data: { username: 'Alice' } },
        excludeClientId: 'c1',
      },
    ])
  })

  test('{ type, controller } exposes own functions and class methods, nothing inherited', async () => {
    class Base {
      helper() {
        return 'base'
      }
    }
    class Room extends Base {
      readonly prefix = 'room:'
      list = () => ['a']
      describe(_conn: FakeConn, data: unknown) {
        return `${this.prefix}${String(data)}`
      }
      get size() {
        return 1
      }
    }
    const ctx = setup([{ type: 'room', controller: Room }])
    for (const action of ['list', 'describe', 'helper', 'constructor', 'toString', 'size']) {
      await send(ctx, { type: 'room', action, data: 'x' })
    }
    await send(ctx, { type: 'room', action: '__proto__' })
    assert.deepEqual(ctx.conn.sent.slice(0, 2), [
      { type: 'room', action: 'list', data: ['a'] },
      { type: 'room', action: 'describe', data: 'room:x' },
    ])
    const codes = ctx.conn.sent.slice(2).map((m) => (m as { error: { code: string } }).error.code)
    assert.deepEqual(codes, Array(5).fill('ERR_UNKNOWN_ACTION'))
  })

  test('an object controller keeps `this`', async () => {
    const counter = {
      count: 0,
      increment(_conn: FakeConn, by: unknown) {
        this.count += typeof by === 'number' ? by : 1
        return this.count
      },
    }
    const ctx = setup([{ type: 'counter', controller: counter }])
    await send(ctx, { type: 'counter', action: 'increment', data: 2 })
    await send(ctx, { type: 'counter', action: 'increment' })
    assert.deepEqual(
      ctx.conn.sent.map((m) => (m as { data: unknown }).data),
      [2, 3],
    )
  })

  test('an explicit route wins over an arrow property only the instance reveals', async () => {
    class Feed {
      latest = () => 'from controller'
    }
    const ctx = setup([
      { type: 'feed', controller: Feed },
      { type: 'feed', action: 'latest', handler: () => 'explicit' },
    ])
    await send(ctx, { type: 'feed', action: 'latest' })
    assert.deepEqual(ctx.conn.sent, [{ type: 'feed', action: 'latest', data: 'explicit' }])
  })

  test('a constructor that throws, or a missing method, is an internal error', async () => {
    class Broken {
      constructor() {
        throw new Error('no config')
      }
    }
    class Empty {}
    const ctx = setup([
      { type: 'b', controller: Broken },
      { type: 'e', action: 'missing', controller: Empty },
    ])
    await send(ctx, { type: 'b', action: 'x' })
    await send(ctx, { type: 'e', action: 'missing' })
    const codes = ctx.conn.sent.map((m) => (m as { error: { code: string } }).error.code)
    assert.deepEqual(codes, ['ERR_INTERNAL', 'ERR_INTERNAL'])
    assert.equal(ctx.deps.reported[0]?.message, 'no config')
    assert.match(ctx.deps.reported[1]?.message ?? '', /no method "missing"/)
  })

  test('defineControllers registers a contract, with or without schemas', async () => {
    interface Contract {
      math: { double: { data: number; reply: number }; half: { data: number; reply: number } }
    }
    const ctx = setup(
      defineControllers<Contract, FakeConn, FakeServer>({
        math: {
          double: (_c, n) => n * 2,
          half: { schema: z.number(), handler: (_c, n) => n / 2 },
        },
      }),
    )
    await send(ctx, { type: 'math', action: 'double', data: 4 })
    await send(ctx, { type: 'math', action: 'half', data: 4 })
    await send(ctx, { type: 'math', action: 'half', data: 'four' })
    assert.deepEqual(ctx.conn.sent.slice(0, 2), [
      { type: 'math', action: 'double', data: 8 },
      { type: 'math', action: 'half', data: 2 },
    ])
    assert.equal((ctx.conn.sent[2] as { error: { code: string } }).error.code, 'ERR_VALIDATION')
  })
})

describe('ControllerRouter.add', () => {
  const forms =
    /\{ type, action, handler, schema\? \}, \{ type, action, controller \} or \{ type, controller \}/

  test('malformed routes throw a TypeError naming the accepted forms', () => {
    const bad: unknown[] = [
      null,
      'chat',
      { action: 'a', handler: () => 1 },
      { type: 't', handler: () => 1 },
      { type: 't', action: 'a' },
      { type: 't', action: 'a', handler: 'nope' },
      { type: 't', action: 'a', handler: () => 1, controller: {} },
      { type: 't', action: 'a', handler: () => 1, schema: { parse() {} } },
      { type: 't', controller: () => ({}) },
      { type: 't', controller: {}, schema: z.string() },
      { type: 't', action: 'a', controller: { other() {} } },
    ]
    for (const route of bad) {
      const router = new ControllerRouter()
      assert.throws(
        () => router.add(route as ControllerRoute<ControllerConnection, unknown>),
        (error: unknown) => error instanceof TypeError && forms.test(error.message),
        JSON.stringify(route),
      )
    }
  })

  test('duplicates throw, whichever form registered the action first', () => {
    class Chat {
      send() {}
    }
    const router = new ControllerRouter<FakeConn, FakeServer>().add(echo)
    assert.throws(() => router.add(echo), /"chat" \+ "echo" is already registered/)
    assert.throws(() => router.add([echo, echo].map((r) => ({ ...r, action: 'twice' }))), TypeError)
    router.add({ type: 'room', controller: Chat })
    assert.throws(() => router.add({ type: 'room', action: 'send', handler: () => 1 }), TypeError)
    assert.throws(() => router.add({ type: 'room', controller: {} }), /already has a controller/)
    assert.throws(() => router.add({ type: 'chat', controller: { echo() {} } }), TypeError)
  })

  test('a failing batch registers nothing', async () => {
    const ctx = setup([])
    assert.throws(() => ctx.router.add([echo, { type: 'x', action: '' } as never]), TypeError)
    ctx.router.add(echo)
    assert.deepEqual(await send(ctx, { type: 'chat', action: 'echo', data: 1 }), [
      { type: 'chat', action: 'echo', data: { echoed: 1 } },
    ])
  })
})
