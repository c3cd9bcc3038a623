/** Tokens over a connection's life: expiry (4001), in-band refresh, revocation (4003), authorizeJoin. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  CloseCode,
  jwt,
  type RoomcastServer,
  systemController,
  type WSConnection,
} from '../src/index.ts'
import AdminController from './fixtures/seed004/admin.controller.ts'
import UserChatController from './fixtures/seed004/user-chat.controller.ts'
import { connectionQueue } from './helpers/capture.ts'
import { assertStillOpen, closedOf, handshakeOutcome, type TestClient } from './helpers/client.ts'
import { nextJson } from './helpers/json.ts'
import { serverFixture } from './helpers/teardown.ts'
import { delay, eventually, within } from './helpers/timeout.ts'
import { nowSeconds, SECRET, sign } from './helpers/tokens.ts'

const { open, serve } = serverFixture()

const send = (client: TestClient, value: unknown) => client.send(JSON.stringify(value))

/** A server with `auth` whose accepted connections are queued, echoing what its handler receives. */
async function authServer(
  options: Parameters<typeof jwt>[0] = { secret: SECRET },
  setup: (wss: RoomcastServer) => void = () => {},
  extra: Parameters<typeof serve>[1] = {},
) {
  const accepted = connectionQueue()
  const received: string[] = []
  const server = await serve(
    (wss) => {
      wss.on('/', (conn) => {
        conn.on('message', (text) => received.push(String(text)))
      })
      setup(wss)
    },
    { auth: jwt(options), onConnection: (conn) => accepted.push(conn), ...extra },
  )
  const join = async (token: string, path = '/') => {
    const client = await open(server.url(`${path}?token=${token}`))
    return { client, conn: await accepted.next() }
  }
  return { server, wss: server.wss, join, received }
}

/** A token whose `exp` falls on a whole second at least `seconds` from now. */
async function expiringIn(seconds: number, claims: Record<string, unknown> = { sub: 'alice' }) {
  const exp = nowSeconds() + seconds
  return { exp, token: await sign({ ...claims, exp }, { expiresIn: null }) }
}

describe('expiry on open connections', () => {
  test('closed with 4001 "Token expired" at exp, not before, on the sweep', async () => {
    const { wss, join } = await authServer()
    const { exp, token } = await expiringIn(2)
    const { client } = await join(token)
    const closed = await within(client.closed, 5000, 'expiry close')
    const at = Date.now()
    assert.deepEqual(closed, { code: CloseCode.TokenExpired, reason: 'Token expired' })
    assert.equal(wss.getStats().tokensExpired, 1)
    assert.ok(at >= exp * 1000, `closed ${exp * 1000 - at} ms before exp`)
    assert.ok(at < exp * 1000 + 700, `closed ${at - exp * 1000} ms after exp`)
  })

  test('clockTolerance moves the deadline past exp', async () => {
    const { join } = await authServer({ secret: SECRET, clockTolerance: 1 })
    const { exp, token } = await expiringIn(1)
    const { client } = await join(token)
    const closed = await within(client.closed, 5000, 'expiry close')
    assert.equal(closed.code, 4001)
    assert.ok(Date.now() >= exp * 1000 + 1000, 'closed inside the tolerance')
  })

  test('deadline ticks share the sweep timer: the heartbeat still walks once per interval', async () => {
    const { join } = await authServer({ secret: SECRET }, () => {}, {
      heartbeatInterval: 600,
      clientTimeout: 10_000,
    })
    const { client } = await join(await sign({ sub: 'alice' }))
    let pings = 0
    client.ws.on('ping', () => pings++)
    await delay(2050)
    // The timer fires every 250 ms for deadlines; pings still go about every 600 ms.
    assert.ok(pings >= 2 && pings <= 4, `${pings} pings in 2 s`)
  })

  test('a token without exp keeps its connection', async () => {
    const { join } = await authServer()
    const { client } = await join(await sign({ sub: 'alice' }, { expiresIn: null }))
    await assertStillOpen(client, 400)
  })
})

describe('in-band refresh', () => {
  test('a new token of the same sub moves the deadline; the reply carries its exp', async () => {
    const { join, received } = await authServer()
    const first = await expiringIn(2)
    const { client, conn } = await join(first.token)
    const second = await expiringIn(4, { sub: 'alice', plan: 'pro' })
    send(client, { type: 'system', action: 'refresh', data: { token: second.token }, requestId: 7 })
    assert.deepEqual(await nextJson(client), {
      type: 'system',
      action: 'refresh',
      requestId: 7,
      data: { exp: second.exp },
    })
    assert.equal(conn.user?.payload.plan, 'pro', 'conn.user follows the new token')
    // Past the first deadline, still open; closed at the second.
    await delay(first.exp * 1000 - Date.now() + 400)
    await assertStillOpen(client, 10)
    const closed = await within(client.closed, 5000, 'expiry close')
    assert.equal(closed.code, 4001)
    assert.ok(Date.now() >= second.exp * 1000)
    assert.deepEqual(received, [], 'the refresh never reached the route handler')
  })

  test('another sub, a bad token or no token is refused; the old deadline stands', async () => {
    const { wss, join, received } = await authServer()
    const first = await expiringIn(2)
    const { client, conn } = await join(first.token)
    const refused = (requestId: number) => ({
      type: 'error',
      action: 'refresh',
      requestId,
      error: { code: 'ERR_UNAUTHORIZED', message: 'Token refused' },
    })
    const bob = await expiringIn(60, { sub: 'bob' })
    send(client, { type: 'system', action: 'refresh', data: { token: bob.token }, requestId: 1 })
    assert.deepEqual(await nextJson(client), refused(1))
    send(client, { type: 'system', action: 'refresh', data: { token: 'garbage' }, requestId: 2 })
    assert.deepEqual(await nextJson(client), refused(2))
    send(client, { type: 'system', action: 'refresh', data: {}, requestId: 3 })
    assert.deepEqual(await nextJson(client), refused(3))
    assert.equal(conn.userId, 'alice')
    assert.equal(wss.getStats().tokenRefreshesRefused, 3)
    assert.equal(wss.getStats().tokensRefreshed, 0)
    // Other messages still reach the handler, even ones that mention refresh.
    client.send('{"type":"chat","action":"refresh"}')
    const closed = await within(client.closed, 5000, 'expiry close')
    assert.equal(closed.code, 4001)
    assert.ok(Date.now() < first.exp * 1000 + 700, 'closed at the first deadline')
    assert.deepEqual(received, ['{"type":"chat","action":"refresh"}'])
  })

  test('refreshBefore: onExpiring runs and the client gets system.expiring', async () => {
    const warned: Array<{ conn: WSConnection; msLeft: number }> = []
    const { join } = await authServer({
      secret: SECRET,
      refreshBefore: 1500,
      onExpiring: (conn, msLeft) => warned.push({ conn, msLeft }),
    })
    const { exp, token } = await expiringIn(3)
    const { client, conn } = await join(token)
    const push = (await nextJson(client, 4000)) as { data: { exp: number; msLeft: number } }
    assert.equal(push.data.exp, exp)
    assert.deepEqual(push, { type: 'system', action: 'expiring', data: push.data })
    assert.ok(push.data.msLeft > 1000 && push.data.msLeft <= 1500, `msLeft ${push.data.msLeft}`)
    assert.equal(warned.length, 1)
    assert.equal(warned[0]?.conn, conn)
    assert.equal((await closedOf(client)).code, 4001)
  })

  test('one warning per token: a refresh inside the window is not warned again (no refresh loop)', async () => {
    let warnings = 0
    const { join } = await authServer({
      secret: SECRET,
      refreshBefore: 10_000,
      onExpiring: () => warnings++,
    })
    const { client } = await join((await expiringIn(4)).token)
    let refreshes = 0
    // A client that refreshes on every warning, with tokens shorter than refreshBefore.
    const refreshing = (async () => {
      for (;;) {
        const message = (await nextJson(client, 3000).catch(() => undefined)) as
          | { action?: string }
          | undefined
        if (message === undefined) return
        if (message.action !== 'expiring') continue
        refreshes++
        const next = await expiringIn(4)
        send(client, {
          type: 'system',
          action: 'refresh',
          data: { token: next.token },
          requestId: refreshes,
        })
      }
    })()
    await delay(1500)
    assert.equal(warnings, 1, `onExpiring ran ${warnings} times`)
    assert.equal(refreshes, 1)
    client.close()
    await refreshing
  })

  test('map() runs again on refresh: the metadata it derives follows the token', async () => {
    const { join } = await authServer({
      secret: SECRET,
      map: (payload) => ({ role: payload.role }),
    })
    const { client, conn } = await join(await sign({ sub: 'alice', role: 'admin' }))
    assert.equal(conn.metadata.role, 'admin')
    conn.metadata.own = 'kept'
    const demoted = await sign({ sub: 'alice', role: 'user' })
    send(client, { type: 'system', action: 'refresh', data: { token: demoted }, requestId: 1 })
    await nextJson(client)
    assert.deepEqual(conn.metadata, { role: 'user', own: 'kept' })
  })

  test('with controllers and the system controller registered, refresh is still the server’s', async () => {
    const { join } = await authServer({ secret: SECRET }, (wss) =>
      wss.controllers(systemController()),
    )
    const { client } = await join((await expiringIn(60)).token)
    const next = await expiringIn(120)
    send(client, { type: 'system', action: 'refresh', data: { token: next.token }, requestId: 'r' })
    assert.deepEqual(await nextJson(client), {
      type: 'system',
      action: 'refresh',
      requestId: 'r',
      data: { exp: next.exp },
    })
  })
})

describe('revocation', () => {
  test('by user: every connection of the user closes with 4003, others stay', async () => {
    const { wss, join } = await authServer()
    const a1 = await join(await sign({ sub: 'alice' }))
    const a2 = await join(await sign({ sub: 'alice' }))
    const b = await join(await sign({ sub: 'bob' }))
    const reply = await wss.revoke({ userId: 'alice' })
    assert.equal(reply.value, 2)
    for (const { client } of [a1, a2]) {
      assert.deepEqual(await closedOf(client), { code: CloseCode.Revoked, reason: 'Revoked' })
    }
    assert.equal(wss.getStats().connectionsRevoked, 2)
    await assertStillOpen(b.client)
  })

  test('by jti: the holder closes, the token is refused at the next handshake and refresh', async () => {
    const { server, wss, join } = await authServer()
    const revoked = await sign({ sub: 'alice', jti: 'token-1' })
    const holder = await join(revoked)
    const other = await join(await sign({ sub: 'alice', jti: 'token-2' }))
    assert.equal((await wss.revoke({ jti: 'token-1' })).value, 1)
    assert.equal((await closedOf(holder.client)).code, 4003)
    assert.equal(await handshakeOutcome(server.url(`/?token=${revoked}`)), 401)
    send(other.client, {
      type: 'system',
      action: 'refresh',
      data: { token: revoked },
      requestId: 1,
    })
    assert.deepEqual(await nextJson(other.client), {
      type: 'error',
      action: 'refresh',
      requestId: 1,
      error: { code: 'ERR_UNAUTHORIZED', message: 'Token refused' },
    })
    await assertStillOpen(other.client)
  })

  test('a revocation during a handshake still in verifyClient refuses it (by jti and by user)', async () => {
    const gate = { open: () => {} }
    let waiting = 0
    const { server, wss } = await authServer({ secret: SECRET }, () => {}, {
      verifyClient: () =>
        new Promise<boolean>((resolve) => {
          waiting++
          gate.open = () => resolve(true)
        }),
    })
    for (const [target, token] of [
      [{ jti: 'racing' }, await sign({ sub: 'alice', jti: 'racing' })],
      [{ userId: 'bob' }, await sign({ sub: 'bob' })],
    ] as const) {
      const before = waiting
      const outcome = handshakeOutcome(server.url(`/?token=${token}`))
      await eventually(() => waiting === before + 1, 'verifyClient reached')
      await wss.revoke(target)
      gate.open()
      assert.equal(await outcome, 401, JSON.stringify(target))
    }
    assert.equal(wss.getConnectionCount(), 0)
  })

  test('a revocation lasts until the token expires, then is forgotten', async () => {
    const { server, wss } = await authServer()
    const exp = nowSeconds() + 2
    const token = await sign({ sub: 'alice', jti: 'short', exp }, { expiresIn: null })
    await wss.revoke({ jti: 'short', exp: nowSeconds() + 1 })
    assert.equal(await handshakeOutcome(server.url(`/?token=${token}`)), 401)
    await delay((nowSeconds() + 1) * 1000 - Date.now() + 50)
    // The revocation ran out (at the given exp) while the token itself is still valid.
    if (Date.now() < exp * 1000 - 100) {
      assert.equal(await handshakeOutcome(server.url(`/?token=${token}`)), 101)
    }
  })

  test('malformed revocations are refused', async () => {
    const { wss } = await authServer()
    await assert.rejects(wss.revoke({}), /needs a userId, a jti, or both/)
    await assert.rejects(wss.revoke({ userId: '' }), /non-empty string/)
    await assert.rejects(wss.revoke({ user: 'alice' } as never), /Unknown option "user"/)
  })
})

describe('authorizeJoin: one hook for every way into a room', () => {
  const authorizeJoin = (conn: WSConnection, room: string) =>
    room === 'public' || room === `user:${conn.userId}`

  test('system.joinRoom and conn.join(room, { authorize: true }) both ask it', async () => {
    const { join } = await authServer(
      { secret: SECRET },
      (wss) => wss.controllers(systemController()),
      { authorizeJoin },
    )
    const { client, conn } = await join(await sign({ sub: 'alice' }))
    const joinRoom = (roomName: string, requestId: number) =>
      send(client, { type: 'system', action: 'joinRoom', data: { roomName }, requestId })
    joinRoom('user:bob', 1)
    assert.deepEqual(await nextJson(client), {
      type: 'error',
      action: 'joinRoom',
      requestId: 1,
      error: { code: 'ERR_FORBIDDEN', message: 'Not allowed to join this room' },
    })
    joinRoom('user:alice', 2)
    assert.deepEqual(await nextJson(client), {
      type: 'system',
      action: 'joinRoom',
      requestId: 2,
      data: { room: 'user:alice', rooms: ['user:alice'] },
    })
    assert.equal(await conn.join('secret', { authorize: true }), false)
    assert.equal(await conn.join('public', { authorize: true }), true)
    assert.deepEqual(conn.getRooms().sort(), ['public', 'user:alice'])
    // Server code that does not ask is trusted.
    conn.join('secret')
    assert.ok(conn.getRooms().includes('secret'))
  })

  test('only true admits: a hook that forgets to return refuses', async () => {
    const { join } = await authServer({ secret: SECRET }, () => {}, {
      authorizeJoin: (() => undefined) as never,
    })
    const { conn } = await join(await sign({ sub: 'alice' }))
    assert.equal(conn.mayJoin('public'), false)
    assert.equal(await conn.join('public', { authorize: true }), false)
  })

  test('a throwing hook refuses and is reported', async () => {
    const errors: Error[] = []
    const { join } = await authServer({ secret: SECRET }, () => {}, {
      authorizeJoin: () => {
        throw new Error('directory down')
      },
      onError: (_conn, error) => errors.push(error),
    })
    const { conn } = await join(await sign({ sub: 'alice' }))
    assert.equal(await conn.join('public', { authorize: true }), false)
    assert.deepEqual(conn.getRooms(), [])
    assert.deepEqual(
      errors.map((error) => error.message),
      ['directory down'],
    )
  })
})

describe("seed 004's JWT flow, as the seed writes it", () => {
  async function seedServer() {
    const accepted = connectionQueue()
    const server = await serve(
      (wss) =>
        wss.controllers([
          { type: 'chat', action: 'send', controller: UserChatController },
          { type: 'admin', action: 'broadcast', controller: AdminController },
        ]),
      {
        path: '/ws',
        auth: { jwtSecretKey: SECRET },
        onConnection: (conn) => accepted.push(conn),
      },
    )
    const connectWith = async (query: string) => {
      const client = await open(server.url(`/ws${query}`))
      return { client, conn: await accepted.next() }
    }
    return { server, connectWith }
  }

  test('no token: anonymous, and the controller asks for authentication', async () => {
    const { connectWith } = await seedServer()
    const { client, conn } = await connectWith('')
    assert.equal(conn.userId, undefined)
    send(client, { type: 'chat', action: 'send', data: { text: 'hi' }, requestId: 1 })
    assert.deepEqual(await nextJson(client), {
      type: 'chat',
      action: 'send',
      requestId: 1,
      data: { error: 'Authentication required' },
    })
  })

  test('a valid token: user id from sub, claims in client.user; a bad token is 401', async () => {
    const { server, connectWith } = await seedServer()
    const token = await sign({ sub: 'u1', email: 'u1@example.test', role: 'admin' })
    const { client } = await connectWith(`?token=${token}`)
    send(client, { type: 'chat', action: 'send', data: { text: 'hello' }, requestId: 1 })
    assert.deepEqual(await nextJson(client), {
      type: 'chat',
      action: 'message',
      data: { userId: 'u1', userEmail: 'u1@example.test', message: 'hello' },
    })
    assert.deepEqual(await nextJson(client), {
      type: 'chat',
      action: 'send',
      requestId: 1,
      data: { success: true },
    })
    send(client, { type: 'admin', action: 'broadcast', data: { note: 1 }, requestId: 2 })
    assert.deepEqual(await nextJson(client), { note: 1 })
    assert.deepEqual(await nextJson(client), {
      type: 'admin',
      action: 'broadcast',
      requestId: 2,
      data: { success: true },
    })
    const user = await connectWith(`?token=${await sign({ sub: 'u2', role: 'user' })}`)
    send(user.client, { type: 'admin', action: 'broadcast', data: {}, requestId: 3 })
    assert.deepEqual(await nextJson(user.client), {
      type: 'admin',
      action: 'broadcast',
      requestId: 3,
      data: { error: 'Unauthorized', code: 'FORBIDDEN' },
    })
    assert.equal(await handshakeOutcome(server.url('/ws?token=garbage')), 401)
  })
})
