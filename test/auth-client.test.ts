/** The roomcast client's token provider against the real server: refresh before expiry, 4001 then recovery, 4003 final. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import WebSocket from 'ws'
import { createClient, type RoomcastClient } from '../src/client/index.ts'
import { jwt, type WSConnection } from '../src/index.ts'
import { connectionQueue } from './helpers/capture.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { delay, eventually, within } from './helpers/timeout.ts'
import { nowSeconds, SECRET, sign } from './helpers/tokens.ts'

const fast = { initialDelay: 20, maxDelay: 100 }
const clients: RoomcastClient[] = []
let server: TestServer | undefined

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await server?.close()
  server = undefined
})

/** A token for `sub` expiring `seconds` from now. */
const tokenFor = (sub: string, seconds: number) =>
  sign({ sub, exp: nowSeconds() + seconds }, { expiresIn: null })

function client(url: string, token: () => Promise<string>): RoomcastClient {
  const made = createClient(url, { WebSocket, reconnect: fast, token })
  clients.push(made)
  return made
}

async function authServer(extra: Parameters<typeof startServer>[0] = {}) {
  const accepted = connectionQueue()
  server = await startServer(
    {
      auth: jwt({ secret: SECRET }),
      recovery: { maxDisconnection: 5000 },
      onConnection: (conn) => accepted.push(conn),
      ...extra,
    },
    (wss) => wss.on('/app', (conn) => conn.recovered || conn.join(`user:${conn.userId}`)),
  )
  return { srv: server, accepted }
}

describe('the client refreshes its token in band', () => {
  test('before exp, on the same connection: no 4001, the server sees the new token', async () => {
    const { srv, accepted } = await authServer()
    let issued = 0
    const app = client(srv.url('/app'), () => {
      issued++
      return tokenFor('alice', 2)
    })
    const closes: number[] = []
    app.on('closed', ({ code }) => closes.push(code))
    const conn: WSConnection = await accepted.next()
    const firstExp = conn.user?.payload.exp as number
    // Past the first token's expiry, and the second's: each was replaced in time.
    await delay((firstExp + 2) * 1000 - Date.now() + 300)
    assert.ok(conn.isOpen, 'the connection outlived its first two tokens')
    assert.deepEqual(closes, [])
    assert.ok(issued >= 3, `provider called ${issued} times`)
    assert.ok((conn.user?.payload.exp as number) > firstExp + 1, 'the server holds a newer token')
    assert.equal(srv.wss.getConnectionCount(), 1)
  })
})

describe('expiry, reconnection and revocation', () => {
  test('a refused refresh ends in 4001; the client reconnects with a fresh token and recovers', async () => {
    const { srv, accepted } = await authServer()
    const tokens = [tokenFor('alice', 2), sign({ sub: 'mallory' }), tokenFor('alice', 60)]
    const app = client(srv.url('/app'), () => tokens.shift() ?? tokenFor('alice', 60))
    const closes: Array<{ code: number; final: boolean }> = []
    const opens: boolean[] = []
    app.on('closed', ({ code, final }) => closes.push({ code, final }))
    app.on('open', ({ recovered }) => opens.push(recovered))
    const first = await accepted.next()
    assert.deepEqual(first.getRooms(), ['user:alice'])
    const second = await within(accepted.next(), 6000, 'the reconnect')
    assert.deepEqual(closes, [{ code: 4001, final: false }])
    await eventually(() => opens.length === 2, 'reopened')
    assert.deepEqual(opens, [false, true], 'a fresh token of the same sub resumes the session')
    assert.equal(second.userId, 'alice')
    assert.deepEqual(second.getRooms(), ['user:alice'])
  })

  test('a reconnect as another user does not get the session', async () => {
    const { srv, accepted } = await authServer()
    const tokens = [sign({ sub: 'alice' }), sign({ sub: 'bob' })]
    const app = client(srv.url('/app'), () => tokens.shift() ?? sign({ sub: 'bob' }))
    const opens: boolean[] = []
    app.on('open', ({ recovered }) => opens.push(recovered))
    const first = await accepted.next()
    await eventually(() => opens.length === 1, 'opened')
    first.terminate()
    const second = await within(accepted.next(), 3000, 'the reconnect')
    await eventually(() => opens.length === 2, 'reopened')
    assert.deepEqual(opens, [false, false])
    assert.deepEqual(second.getRooms(), ['user:bob'])
  })

  test('revoked: 4003 is final, the client does not reconnect', async () => {
    const { srv, accepted } = await authServer()
    let issued = 0
    const app = client(srv.url('/app'), () => {
      issued++
      return sign({ sub: 'alice' })
    })
    const closes: Array<{ code: number; final: boolean }> = []
    app.on('closed', ({ code, final }) => closes.push({ code, final }))
    await accepted.next()
    assert.equal((await srv.wss.revoke({ userId: 'alice' })).value, 1)
    await eventually(() => closes.length === 1, 'closed')
    assert.deepEqual(closes, [{ code: 4003, final: true }])
    await delay(300)
    assert.equal(issued, 1)
    assert.equal(app.state, 'closed')
    assert.equal(srv.wss.getConnectionCount(), 0)
  })

  test('a restore passes authorizeJoin: a room no longer allowed and the session starts fresh', async () => {
    const allowed = new Set(['user:alice', 'vip'])
    const { srv, accepted } = await authServer({
      authorizeJoin: (_conn, room) => allowed.has(room),
    })
    srv.wss.on('/vip', (conn) => conn.recovered || conn.join('vip'))
    const app = client(srv.url('/vip'), () => sign({ sub: 'alice' }))
    const opens: boolean[] = []
    app.on('open', ({ recovered }) => opens.push(recovered))
    const first = await accepted.next()
    await eventually(() => opens.length === 1, 'opened')
    first.terminate()
    const second = await within(accepted.next(), 3000, 'first reconnect')
    await eventually(() => opens.length === 2, 'reopened')
    assert.deepEqual(opens, [false, true], 'still allowed: restored')
    assert.deepEqual(second.getRooms(), ['vip'])
    allowed.delete('vip')
    second.terminate()
    const third = await within(accepted.next(), 3000, 'second reconnect')
    await eventually(() => opens.length === 3, 'reopened again')
    assert.deepEqual(opens, [false, true, false], 'refused: not restored')
    // Fresh: the handler ran and joined by itself (server code is trusted).
    assert.deepEqual(third.getRooms(), ['vip'])
  })

  test("a resumed session takes the new token's claims over the session's copy", async () => {
    const { srv, accepted } = await authServer({
      auth: jwt({ secret: SECRET, map: (payload) => ({ role: payload.role }) }),
    })
    const tokens = [sign({ sub: 'alice', role: 'admin' }), sign({ sub: 'alice', role: 'user' })]
    const app = client(
      srv.url('/app'),
      () => tokens.shift() ?? sign({ sub: 'alice', role: 'user' }),
    )
    const opens: boolean[] = []
    app.on('open', ({ recovered }) => opens.push(recovered))
    const first = await accepted.next()
    await eventually(() => opens.length === 1, 'opened')
    assert.equal(first.metadata.role, 'admin')
    first.metadata.draft = 'kept'
    first.terminate()
    const second = await within(accepted.next(), 3000, 'the reconnect')
    await eventually(() => opens.length === 2, 'reopened')
    assert.deepEqual(opens, [false, true])
    assert.deepEqual(second.metadata, { role: 'user', draft: 'kept' })
  })
})
