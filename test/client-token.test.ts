/** Token refresh over real sockets: the schedule from `exp`, `system.refresh`, `expiring`, 4001 and 4003. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import WebSocket from 'ws'
import {
  ClientError,
  ClientErrorCode,
  type ClientOptions,
  RequestError,
} from '../src/client/index.ts'
import { jwtExpiryMs } from '../src/client/jwt-exp.ts'
import { resolveOptions } from '../src/client/options.ts'
import { nextStep } from '../src/client/reconnect-policy.ts'
import { manualClock } from './fixtures/client-clock.ts'
import type { FakeConnection } from './fixtures/client-fake-server.ts'
import { clientKit, nextEvent, record } from './fixtures/client-kit.ts'
import { queue } from './fixtures/client-queue.ts'

const kit = clientKit()

/** An unsigned JWT-shaped token with `claims`: the client reads `exp` and never verifies. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`
}

/** A provider handing out `tokens` in turn (an `Error` is thrown), counting its calls. */
function provider(...tokens: Array<string | Error>) {
  const calls = { count: 0 }
  const token = async () => {
    const next = tokens[Math.min(calls.count, tokens.length - 1)]
    calls.count += 1
    if (next instanceof Error) throw next
    return next ?? ''
  }
  return { token, calls }
}

/** The fake server's side of the token protocol on one connection. */
function tokenPeer(conn: FakeConnection) {
  const reply = (message: Record<string, unknown>) => conn.ws.send(JSON.stringify(message))
  return {
    /** The next message the client sent, which must be a refresh request. */
    async refreshRequest(): Promise<{ token: unknown; requestId: string }> {
      const envelope = JSON.parse(String(await conn.received.next()))
      const { requestId } = envelope
      assert.equal(typeof requestId, 'string')
      assert.deepEqual(Object.keys(envelope).sort(), ['action', 'data', 'requestId', 'type'])
      assert.equal(envelope.type, 'system')
      assert.equal(envelope.action, 'refresh')
      return { token: envelope.data.token, requestId }
    },
    accept: (requestId: string, exp: number) =>
      reply({ type: 'system', action: 'refresh', requestId, data: { exp } }),
    refuse: (requestId: string, code: string) =>
      reply({ type: 'error', action: 'refresh', requestId, error: { code, message: 'refused' } }),
    expiring: (exp: number, msLeft: number) =>
      reply({ type: 'system', action: 'expiring', data: { exp, msLeft } }),
  }
}

/** A client on the manual clock (now = 0 until advanced), open on its first connection. */
async function connected(token: () => Promise<string>, options: ClientOptions = {}) {
  const server = await kit.server()
  const clock = manualClock()
  const client = kit.client(server.url(), { timers: clock.timers, token, ...options })
  const events = record(client, 'open', 'closed', 'reconnecting', 'message', 'error')
  // Every error, also those a `nextEvent()` skipped on its way to another event.
  const errors: unknown[] = []
  client.on('error', (error) => errors.push(error))
  await nextEvent(events, 'open')
  const conn = await server.connections.next()
  return { server, clock, client, events, errors, conn, peer: tokenPeer(conn) }
}

/** The `error` event's ClientError, checked to be a failed refresh. */
async function refreshFailure(events: Parameters<typeof nextEvent>[0]): Promise<Error> {
  const error = await nextEvent(events, 'error')
  assert.ok(error instanceof ClientError)
  assert.equal(error.code, ClientErrorCode.Token)
  assert.equal(error.message, 'token refresh failed')
  assert.ok(error.cause instanceof Error)
  return error.cause
}

describe('jwtExpiryMs', () => {
  test('reads exp (seconds) as ms, whatever the payload’s length mod 4, padded or not', () => {
    // Payload lengths mod 4 of 0, 2 and 3; UTF-8 in a claim; '-' and '_' in the payload.
    for (const sub of ['', 'a', 'ab', 'zoë ✓', '~~~???']) {
      assert.equal(jwtExpiryMs(jwt({ sub, exp: 1_700_000_000 })), 1_700_000_000_000, sub)
    }
    assert.match(jwt({ sub: '~~~???', exp: 1_700_000_000 }).split('.')[1] ?? '', /-.*_/)
    const padded = `e30.${Buffer.from('{"exp":12}').toString('base64')}.`
    assert.equal(padded.includes('='), true)
    assert.equal(jwtExpiryMs(padded), 12_000)
  })

  test('anything else has no expiry', () => {
    const payload = (json: string) => `e30.${Buffer.from(json).toString('base64url')}.sig`
    for (const token of [
      'opaque-token',
      'a.b',
      'a.b.c.d',
      '..',
      'e30.%%%.sig',
      payload('{"exp":"600"}'),
      payload('{"sub":"x"}'),
      payload('null'),
      payload('600'),
      jwt({ exp: null }),
    ]) {
      assert.equal(jwtExpiryMs(token), undefined, token)
    }
  })
})

describe('close codes 4001 and 4003 (nextStep)', () => {
  const options = resolveOptions({ WebSocket, random: () => 0.5 })
  const facts = { byApplication: false, advice: undefined, attempt: 1 }

  test('4001 reconnects at once; advice and maxAttempts still apply', () => {
    assert.deepEqual(nextStep({ ...facts, code: 4001 }, options), { final: false, delay: 0 })
    assert.deepEqual(nextStep({ ...facts, code: 4001, advice: { retry: 1000 } }, options), {
      final: false,
      delay: 750,
    })
    const once = resolveOptions({ WebSocket, reconnect: { maxAttempts: 1 } })
    assert.equal(nextStep({ ...facts, code: 4001, attempt: 2 }, once).final, true)
  })

  test('4003 is final; the other 4xxx codes keep their backoff', () => {
    assert.deepEqual(nextStep({ ...facts, code: 4003 }, options), { final: true })
    assert.deepEqual(nextStep({ ...facts, code: 4002 }, options), { final: false, delay: 500 })
  })
})

describe('scheduled refresh', () => {
  test('at max(L − 30 s, ¾ L): the provider’s new token goes out, the next is timed from it', async () => {
    const first = jwt({ exp: 600 })
    const second = jwt({ exp: 1000 })
    const { token, calls } = provider(first, second)
    const { clock, conn, peer, events, errors, server } = await connected(token)
    assert.equal(server.handshakes[0]?.get('token'), first)
    // L = 600 000 ms: max(570 000, 450 000).
    assert.deepEqual(clock.pending(), [570_000])
    clock.advance(570_000)
    clock.fire(570_000)
    const { token: sent, requestId } = await peer.refreshRequest()
    assert.equal(sent, second)
    assert.equal(calls.count, 2)
    // Only the reply's timeout while the refresh is in flight.
    assert.deepEqual(clock.pending(), [10_000])
    peer.accept(requestId, 1000)
    // L = 1 000 000 − 570 000 = 430 000 ms: max(400 000, 322 500).
    await clock.waitFor(400_000)
    assert.deepEqual(clock.pending(), [400_000])
    // The reply settled the request: it is not a message.
    conn.ws.send('marker')
    assert.equal(await nextEvent(events, 'message'), 'marker')
    assert.deepEqual(errors, [])
  })

  test('a short-lived token refreshes at ¾ of what is left, down to just over 500 ms', async () => {
    const { clock } = await connected(provider(jwt({ exp: 4 })).token)
    assert.deepEqual(clock.pending(), [3000])
    const { clock: late } = await connected(provider(jwt({ exp: 0.504 })).token)
    assert.deepEqual(late.pending(), [378])
  })

  for (const [label, value] of [
    ['an opaque token', 'opaque-token'],
    ['a JWT without exp', jwt({ sub: 'x' })],
    ['a JWT with 500 ms left', jwt({ exp: 0.5 })],
  ] as const) {
    test(`${label} schedules nothing`, async () => {
      const { clock, conn, events } = await connected(provider(value).token)
      conn.ws.send('marker')
      assert.equal(await nextEvent(events, 'message'), 'marker')
      assert.deepEqual(clock.pending(), [])
    })
  }
})

describe('system.expiring', () => {
  test('refreshes at once, once while in flight, and is still a message and a push', async () => {
    const { token, calls } = provider(jwt({ exp: 600 }), jwt({ exp: 1200 }))
    const { clock, client, peer, events, errors } = await connected(token)
    const pushes = queue<unknown>('expiring push')
    client.handle('system', 'expiring', (data) => pushes.push(data))
    peer.expiring(600, 30_000)
    peer.expiring(600, 29_000)
    const push = { type: 'system', action: 'expiring', data: { exp: 600, msLeft: 30_000 } }
    assert.equal(await nextEvent(events, 'message'), JSON.stringify(push))
    assert.deepEqual(await pushes.next(), { exp: 600, msLeft: 30_000 })
    await nextEvent(events, 'message')
    const { token: sent, requestId } = await peer.refreshRequest()
    assert.equal(sent, jwt({ exp: 1200 }))
    assert.equal(calls.count, 2)
    // The scheduled refresh was replaced by this one: only its reply timeout waits.
    assert.deepEqual(clock.pending(), [10_000])
    peer.accept(requestId, 1200)
    await clock.waitFor(1_170_000)
    assert.deepEqual(clock.pending(), [1_170_000])
    assert.deepEqual(errors, [])
  })
})

describe('failed refresh', () => {
  test('an error reply is an ERR_TOKEN error, retried once after half the time left', async () => {
    const { token, calls } = provider(jwt({ exp: 600 }), jwt({ exp: 900 }), new Error('idp down'))
    const { clock, peer, events } = await connected(token)
    clock.advance(570_000)
    clock.fire(570_000)
    const { requestId } = await peer.refreshRequest()
    peer.refuse(requestId, 'ERR_TOKEN_INVALID')
    const cause = await refreshFailure(events)
    assert.ok(cause instanceof RequestError)
    assert.equal(cause.code, 'ERR_TOKEN_INVALID')
    // 30 000 ms left on the current token: the retry comes after 15 000.
    assert.deepEqual(clock.pending(), [15_000])
    clock.advance(15_000)
    clock.fire(15_000)
    assert.equal((await refreshFailure(events)).message, 'idp down')
    assert.equal(calls.count, 3)
    // One retry only: what is left is the server's 4001 and the reconnect.
    assert.deepEqual(clock.pending(), [])
  })

  test('with 1 s or less left there is no retry', async () => {
    const { clock, peer, events } = await connected(provider(jwt({ exp: 2 })).token)
    // L = 2000 ms: refresh at 1500, which leaves 500 ms when it fails.
    clock.advance(1500)
    clock.fire(1500)
    const { requestId } = await peer.refreshRequest()
    peer.refuse(requestId, 'ERR_TOKEN_INVALID')
    await refreshFailure(events)
    assert.deepEqual(clock.pending(), [])
  })

  test('no reply within 10 s is a failure with an ERR_TIMEOUT cause', async () => {
    const { clock, peer, events } = await connected(provider(jwt({ exp: 600 })).token)
    clock.advance(570_000)
    clock.fire(570_000)
    await peer.refreshRequest()
    clock.advance(10_000)
    clock.fire(10_000)
    const cause = await refreshFailure(events)
    assert.equal((cause as ClientError).code, ClientErrorCode.Timeout)
    // 20 000 ms left: the retry comes after 10 000.
    assert.deepEqual(clock.pending(), [10_000])
  })

  test('a reconnect drops the refresh in flight (a failure) and times the next from its own token', async () => {
    const { token } = provider(jwt({ exp: 600 }), jwt({ exp: 900 }), jwt({ exp: 2000 }))
    const reconnect = { initialDelay: 100, jitter: false }
    const { clock, conn, peer, events, server } = await connected(token, { reconnect })
    clock.advance(570_000)
    clock.fire(570_000)
    await peer.refreshRequest()
    conn.close(1012)
    assert.deepEqual(await events.next(), {
      name: 'closed',
      value: { code: 1012, reason: '', final: false },
    })
    assert.deepEqual(await events.next(), {
      name: 'reconnecting',
      value: { attempt: 1, delay: 100 },
    })
    assert.equal((await refreshFailure(events)).message, 'Connection closed')
    // Neither the old schedule nor the old request's timeout is left: only the reconnect.
    assert.deepEqual(clock.pending(), [100])
    clock.fire(100)
    await nextEvent(events, 'open')
    assert.equal(server.handshakes[1]?.get('token'), jwt({ exp: 2000 }))
    // L = 2 000 000 − 570 000 = 1 430 000 ms.
    assert.deepEqual(clock.pending(), [1_400_000])
  })

  test('close() during a refresh reports nothing and leaves no timer', async () => {
    const { clock, client, peer, events, errors } = await connected(
      provider(jwt({ exp: 600 })).token,
    )
    clock.advance(570_000)
    clock.fire(570_000)
    await peer.refreshRequest()
    const closing = client.close()
    // Before the close event: the refresh was dropped, not turned into a retry.
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(clock.pending(), [])
    await closing
    assert.deepEqual(await nextEvent(events, 'closed'), { code: 1000, reason: '', final: true })
    assert.deepEqual(clock.pending(), [])
    assert.deepEqual(errors, [])
  })
})

describe('closes for the token', () => {
  test('4001 Token expired reconnects at once, with a fresh token from the provider', async () => {
    const { token, calls } = provider(jwt({ exp: 600 }), jwt({ exp: 1200 }))
    const { clock, conn, events, errors, server } = await connected(token)
    conn.close(4001, 'Token expired')
    assert.deepEqual(await events.next(), {
      name: 'closed',
      value: { code: 4001, reason: 'Token expired', final: false },
    })
    assert.deepEqual(await events.next(), {
      name: 'reconnecting',
      value: { attempt: 1, delay: 0 },
    })
    assert.deepEqual(clock.pending(), [0])
    clock.fire(0)
    await nextEvent(events, 'open')
    assert.equal(calls.count, 2)
    assert.deepEqual(
      server.handshakes.map((query) => query.get('token')),
      [jwt({ exp: 600 }), jwt({ exp: 1200 })],
    )
    assert.deepEqual(clock.pending(), [1_170_000])
    assert.deepEqual(errors, [])
  })

  test('4003 Revoked is final: no reconnect, no timer, no further provider call', async () => {
    const { token, calls } = provider(jwt({ exp: 600 }))
    const { clock, client, conn, events, server } = await connected(token)
    conn.close(4003, 'Revoked')
    assert.deepEqual(await events.next(), {
      name: 'closed',
      value: { code: 4003, reason: 'Revoked', final: true },
    })
    assert.equal(client.state, 'closed')
    assert.deepEqual(clock.pending(), [])
    assert.equal(server.handshakes.length, 1)
    assert.equal(calls.count, 1)
  })
})
