/** roomcast/admin over HTTP: options, credentials, CSRF guards and every refusal's exact status. */
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { RateMeter } from '../src/admin/rates.ts'
import { ADMIN_REQUEST_HEADER, adminHandler } from '../src/admin.ts'
import { createWebSocket, ErrorCode } from '../src/index.ts'
import {
  type AdminServer,
  basic,
  bearer,
  call,
  postHeaders,
  startAdmin,
  TOKEN,
} from './helpers/admin.ts'
import { recordingLogger } from './helpers/server.ts'

const opened: AdminServer[] = []
after(async () => {
  for (const server of opened.splice(0)) await server.close()
})
async function admin(...args: Parameters<typeof startAdmin>): Promise<AdminServer> {
  const server = await startAdmin(...args)
  opened.push(server)
  return server
}

describe('adminHandler options', () => {
  const wss = createWebSocket({ logger: recordingLogger() })
  after(() => wss.close())
  const refused = (options: unknown, message: RegExp) =>
    assert.throws(() => adminHandler(wss, options as never), {
      code: ErrorCode.InvalidOption,
      message,
    })

  test('without auth there is no admin page', () => {
    refused({}, /^adminHandler: an admin page needs auth: \{ token \} or \{ username, password \}/)
    refused({ auth: undefined, path: '/ops' }, /needs auth/)
    refused(undefined, /^Invalid option "adminHandler"/)
    refused({ auth: { token: '  ' } }, /^Invalid option "auth\.token": expected a non-empty string/)
    refused(
      { auth: { username: 'a:b', password: 'p' } },
      /"auth\.username": expected a non-empty string without ":"/,
    )
    refused({ auth: { username: 'ops', password: '' } }, /"auth\.password"/)
    refused(
      { auth: { token: TOKEN, username: 'ops' } },
      /auth takes \{ token \} or \{ username, password \}, not both/,
    )
  })

  test('unknown keys are refused, naming the near miss', () => {
    refused(
      { auth: { token: TOKEN }, pth: '/x' },
      /^adminHandler: Unknown option "pth": did you mean "path"\?$/,
    )
    refused(
      { auth: { tokn: TOKEN } },
      /^adminHandler: Unknown option "auth\.tokn": did you mean "token"\?$/,
    )
    refused(
      { auth: {} },
      /^Invalid option "auth": expected \{ token \} or \{ username, password \}, got "\{\}"$/,
    )
    refused(
      { auth: { username: 'ops', password: 'pw', realm: 'x' } },
      /^adminHandler: Unknown option "auth\.realm"/,
    )
  })

  test('values out of range are refused', () => {
    const auth = { token: TOKEN }
    refused({ auth, path: 'admin' }, /^Invalid option "path"/)
    refused({ auth, path: '/admin/' }, /^Invalid option "path"/)
    refused({ auth, path: '/' }, /^Invalid option "path"/)
    refused(
      { auth, refreshInterval: 5 },
      /^Invalid option "refreshInterval": expected an integer ≥ 10/,
    )
    refused({ auth, listLimit: 0 }, /^Invalid option "listLimit"/)
    refused({ auth, allowedOrigins: ['ops.example.com'] }, /^Invalid option "allowedOrigins"/)
    const handler = adminHandler(wss, { auth, path: '/ops/admin' })
    assert.equal(handler.path, '/ops/admin')
  })
})

describe('token auth', () => {
  test('the API is 401 without the token, with a wrong one and with another scheme', async () => {
    const { port } = await admin()
    const path = '/admin/api/overview'
    for (const headers of [
      {},
      { Authorization: 'Bearer wrong' },
      { Authorization: `Bearer ${TOKEN}x` },
      { Authorization: TOKEN },
      basic('admin', TOKEN),
    ]) {
      const refusal = await call(port, { path, headers })
      assert.equal(refusal.status, 401, JSON.stringify(headers))
      assert.equal(refusal.headers['www-authenticate'], 'Bearer realm="roomcast admin"')
      assert.equal(refusal.headers['cache-control'], 'no-store')
      assert.deepEqual(refusal.json(), { error: 'authentication required' })
    }
    const scheme = await call(port, { path, headers: { Authorization: `bearer  ${TOKEN}` } })
    assert.equal(scheme.status, 200, 'the scheme is case-insensitive (RFC 7235)')
    assert.equal((await call(port, { path, headers: bearer })).status, 200)
    const post = await call(port, {
      method: 'POST',
      path: '/admin/api/broadcast',
      headers: { ...postHeaders, Authorization: 'Bearer wrong' },
      body: { message: 'x' },
    })
    assert.equal(post.status, 401)
  })

  test('the page itself holds no data and is served to ask for the token, with a strict CSP', async () => {
    const { port } = await admin({ refreshInterval: 250 })
    for (const path of ['/admin', '/admin/', '/admin?x=1']) {
      const page = await call(port, { path })
      assert.equal(page.status, 200, path)
      assert.equal(page.headers['content-type'], 'text/html; charset=utf-8')
      assert.match(page.text, /<meta name="roomcast-auth" content="token">/)
      assert.match(page.text, /<meta name="roomcast-refresh" content="250">/)
    }
    const page = await call(port, { path: '/admin' })
    const csp = String(page.headers['content-security-policy'])
    assert.match(
      csp,
      /^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-/,
    )
    assert.match(csp, /frame-ancestors 'none'/)
    assert.equal(page.headers['x-frame-options'], 'DENY')
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    assert.doesNotMatch(page.text, /innerHTML|https?:\/\//, 'no innerHTML, no external asset')
    const head = await call(port, { method: 'HEAD', path: '/admin' })
    assert.deepEqual([head.status, head.text], [200, ''])
    const post = await call(port, { method: 'POST', path: '/admin' })
    assert.deepEqual([post.status, post.headers.allow], [405, 'GET, HEAD'])
  })
})

describe('basic auth', () => {
  test('page and API are 401 with a Basic challenge until the user name and password match', async () => {
    const { port } = await admin({ auth: { username: 'ops', password: 'pässword' } })
    for (const headers of [
      {},
      basic('ops', 'wrong'),
      basic('OPS', 'pässword'),
      basic('ops', 'pässword '),
      { Authorization: 'Basic !!!not-base64' },
      { Authorization: `Basic ${Buffer.from('no colon').toString('base64')}` },
      bearer,
    ]) {
      for (const path of ['/admin', '/admin/api/overview']) {
        const refusal = await call(port, { path, headers })
        assert.equal(refusal.status, 401, `${path} ${JSON.stringify(headers)}`)
        assert.equal(
          refusal.headers['www-authenticate'],
          'Basic realm="roomcast admin", charset="UTF-8"',
        )
      }
    }
    const page = await call(port, { path: '/admin', headers: basic('ops', 'pässword') })
    assert.equal(page.status, 200)
    assert.match(page.text, /<meta name="roomcast-auth" content="basic">/)
    const api = await call(port, { path: '/admin/api/overview', headers: basic('ops', 'pässword') })
    assert.equal(api.status, 200)
  })
})

describe('routing', () => {
  test('404 for unknown paths under the page (after auth), 405 with Allow for a wrong method', async () => {
    const { port } = await admin()
    assert.equal((await call(port, { path: '/admin/api/nodes' })).status, 401, 'auth comes first')
    for (const path of ['/admin/api/nodes', '/admin/api/', '/admin/api/toString', '/admin/x']) {
      const missing = await call(port, { path, headers: bearer })
      assert.equal(missing.status, 404, path)
      assert.deepEqual(missing.json(), { error: 'no such admin endpoint' })
    }
    const get = await call(port, { path: '/admin/api/disconnect', headers: bearer })
    assert.deepEqual([get.status, get.headers.allow], [405, 'POST'])
    const post = await call(port, {
      method: 'POST',
      path: '/admin/api/overview',
      headers: postHeaders,
      body: {},
    })
    assert.deepEqual([post.status, post.headers.allow], [405, 'GET'])
    const outside = await call(port, { path: '/administrator', headers: bearer })
    assert.deepEqual([outside.status, outside.json()], [404, { error: 'not found' }])
  })

  test('a custom path', async () => {
    const { port } = await admin({ path: '/ops/roomcast' })
    assert.equal((await call(port, { path: '/ops/roomcast' })).status, 200)
    assert.equal(
      (await call(port, { path: '/ops/roomcast/api/overview', headers: bearer })).status,
      200,
    )
    assert.equal((await call(port, { path: '/admin' })).status, 404)
  })
})

describe('CSRF guards on POST', () => {
  const broadcast = (port: number, headers: Record<string, string>) =>
    call(port, { method: 'POST', path: '/admin/api/broadcast', headers, body: { message: 'hi' } })

  test(`403 without the ${ADMIN_REQUEST_HEADER} header or from another origin, 415 for another body type`, async () => {
    const { port } = await admin({ allowedOrigins: ['https://ops.example.com'] })
    const { 'X-Roomcast-Admin': _, ...withoutHeader } = postHeaders
    const missing = await broadcast(port, withoutHeader)
    assert.deepEqual(
      [missing.status, missing.json()],
      [403, { error: 'missing X-Roomcast-Admin header' }],
    )
    for (const origin of [
      'https://evil.example',
      'null',
      `http://127.0.0.1:${port + 1}`,
      'not a url',
    ]) {
      const crossSite = await broadcast(port, { ...postHeaders, Origin: origin })
      assert.equal(crossSite.status, 403, origin)
      assert.deepEqual(crossSite.json(), { error: 'cross-origin request refused' })
    }
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const form = await broadcast(port, { ...postHeaders, 'Content-Type': type })
      assert.deepEqual(
        [form.status, form.json()],
        [415, { error: 'the body must be application/json' }],
      )
    }
    for (const origin of [
      `http://127.0.0.1:${port}`,
      'https://ops.example.com',
      'HTTPS://OPS.EXAMPLE.COM',
    ]) {
      assert.equal((await broadcast(port, { ...postHeaders, Origin: origin })).status, 200, origin)
    }
    const charset = await broadcast(port, {
      ...postHeaders,
      'Content-Type': 'application/json; charset=utf-8',
    })
    assert.equal(charset.status, 200)
  })
})

describe('request bodies', () => {
  const post = (port: number, path: string, body: string | object) =>
    call(port, { method: 'POST', path: `/admin/api/${path}`, headers: postHeaders, body })

  test('400 for a body that is not JSON, not an object, or not a valid action; 413 past 16 KiB', async () => {
    const { port } = await admin()
    const cases: Array<[string, string | object, string]> = [
      ['disconnect', '{"id":', 'the body is not valid JSON'],
      ['disconnect', '', 'the body is not valid JSON'],
      ['disconnect', [], 'the body must be a JSON object'],
      ['disconnect', {}, 'give id (one connection) or userId (all of a user)'],
      [
        'disconnect',
        { id: 'a', userId: 'u' },
        'give either id (one connection) or userId (all of a user), not both',
      ],
      ['disconnect', { id: '' }, 'id must be a non-empty string'],
      [
        'disconnect',
        { id: 'a', code: 1006 },
        'code must be a close code that may be sent (1000–1014, 3000–4999)',
      ],
      [
        'disconnect',
        { id: 'a', code: '1000' },
        'code must be a close code that may be sent (1000–1014, 3000–4999)',
      ],
      ['disconnect', { id: 'a', reason: 7 }, 'reason must be a string'],
      ['disconnect', { ids: ['a'] }, 'unknown field "ids"'],
      ['broadcast', { room: 'a' }, 'message must be a string'],
      ['broadcast', { message: 1 }, 'message must be a string'],
      [
        'broadcast',
        { message: 'x', room: 'a\u0000b' },
        'Room name must be free of control characters, got "a\\u0000b"',
      ],
      ['broadcast', '{"message":"x","__proto__":{"admin":true}}', 'unknown field "__proto__"'],
    ]
    for (const [path, body, error] of cases) {
      const response = await post(port, path, body)
      assert.equal(response.status, 400, JSON.stringify(body))
      assert.deepEqual(response.json(), { error }, JSON.stringify(body))
    }
    const large = await post(port, 'broadcast', { message: 'x'.repeat(16 * 1024) })
    assert.deepEqual(
      [large.status, large.json()],
      [413, { error: 'the body is larger than 16384 bytes' }],
    )
  })
})

describe('rates', () => {
  test('a rate is the counters’ delta over the window, read from the last one until the next window', () => {
    const meter = new RateMeter(1000)
    assert.deepEqual(meter.sample('n', 10, 20, 0), {
      messagesInPerSecond: null,
      messagesOutPerSecond: null,
    })
    assert.deepEqual(meter.sample('n', 15, 20, 400), {
      messagesInPerSecond: null,
      messagesOutPerSecond: null,
    })
    assert.deepEqual(meter.sample('n', 30, 70, 2000), {
      messagesInPerSecond: 10,
      messagesOutPerSecond: 25,
    })
    assert.deepEqual(meter.sample('n', 31, 70, 2500), {
      messagesInPerSecond: 10,
      messagesOutPerSecond: 25,
    })
    assert.deepEqual(meter.sample('n', 33, 71, 3000), {
      messagesInPerSecond: 3,
      messagesOutPerSecond: 1,
    })
    assert.deepEqual(
      meter.sample('n', 1, 1, 4000),
      { messagesInPerSecond: null, messagesOutPerSecond: null },
      'counters went back: another server',
    )
    assert.deepEqual(meter.sample('other', 0, 0, 60_000), {
      messagesInPerSecond: null,
      messagesOutPerSecond: null,
    })
    assert.deepEqual(
      meter.sample('n', 100, 100, 61_000),
      { messagesInPerSecond: null, messagesOutPerSecond: null },
      'forgotten after 20 windows',
    )
  })
})
