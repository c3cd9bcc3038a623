import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, describe, test } from 'node:test'
import { exportJWK } from 'jose'
import { createWebSocket, ErrorCode, jwt, type WSConnection } from '../src/index.ts'
import { connect, handshakeOutcome } from './helpers/client.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { closeHttp, listenOnLoopback, recordingLogger, startServer } from './helpers/server.ts'
import { SECRET, sign, tampered, testKeys, unsignedToken } from './helpers/tokens.ts'

const keys = testKeys()

/** Opens a connection and reports what the server saw of it. */
async function identityOf(
  url: string,
  options: Parameters<typeof connect>[1] = {},
  seen: Array<WSConnection>,
) {
  const client = await connect(url, options)
  client.close()
  await client.closed
  return seen.at(-1)
}

describe('jwt() at the handshake', () => {
  test('HS256, RS256 and ES256 tokens are accepted; sub becomes userId, the payload conn.user', async () => {
    const cases = [
      { auth: jwt({ secret: SECRET }), token: await sign({ sub: 'u-hs', role: 'admin' }) },
      {
        auth: jwt({ publicKey: keys.rsa.publicPem }),
        token: await sign(
          { sub: 'u-rs', role: 'admin' },
          { alg: 'RS256', key: keys.rsa.privateKey },
        ),
      },
      {
        auth: jwt({ publicKey: keys.ec.publicKey }),
        token: await sign(
          { sub: 'u-es', role: 'admin' },
          { alg: 'ES256', key: keys.ec.privateKey },
        ),
      },
    ]
    for (const { auth, token } of cases) {
      const seen: WSConnection[] = []
      const srv = await startServer({ auth, onConnection: (conn) => seen.push(conn) })
      try {
        const conn = await identityOf(srv.url(`/?room=x&token=${token}`), {}, seen)
        assert.ok(conn)
        const sub = conn.user?.userId
        assert.match(String(sub), /^u-(hs|rs|es)$/)
        assert.equal(conn.userId, sub)
        assert.equal(conn.user?.payload.role, 'admin')
        // An assigned user replaces the token's; an assigned undefined signs it out.
        conn.user = { userId: 'other', payload: {} }
        assert.equal(conn.user?.userId, 'other')
        conn.user = undefined
        assert.equal(conn.user, undefined)
        // The credential stays out of conn.query; the rest of the query is as sent.
        assert.equal(conn.query.get('token'), null)
        assert.equal(conn.query.get('room'), 'x')
      } finally {
        await srv.close()
      }
    }
  })

  test('every tokenFrom source works, and the first source holding a token wins', async () => {
    const token = await sign({ sub: 'alice' })
    const other = await sign({ sub: 'bob' })
    const seen: WSConnection[] = []
    const srv = await startServer({
      auth: jwt({
        secret: SECRET,
        tokenFrom: ['header:authorization', 'cookie:session', 'query:access_token', 'protocol'],
      }),
      subprotocols: ['chat'],
      onConnection: (conn) => seen.push(conn),
    })
    try {
      const header = await identityOf(
        srv.url('/'),
        { headers: { authorization: `Bearer ${token}` } },
        seen,
      )
      assert.equal(header?.userId, 'alice')
      const cookie = await identityOf(
        srv.url('/'),
        { headers: { cookie: `theme=dark; session=${token}` } },
        seen,
      )
      assert.equal(cookie?.userId, 'alice')
      const query = await identityOf(srv.url(`/?access_token=${token}`), {}, seen)
      assert.equal(query?.userId, 'alice')
      const both = await identityOf(
        srv.url(`/?access_token=${other}`),
        { headers: { authorization: `Bearer ${token}` } },
        seen,
      )
      assert.equal(both?.userId, 'alice', 'the header comes first in tokenFrom')
      // The protocol entry carries the token and is never selected as the subprotocol.
      const client = await connect(srv.url('/'), { protocols: [token, 'chat'] })
      assert.equal(client.ws.protocol, 'chat')
      assert.equal(client.headers['sec-websocket-protocol'], 'chat')
      client.close()
      await client.closed
      assert.equal(seen.at(-1)?.userId, 'alice')
      assert.equal(seen.at(-1)?.protocol, 'chat')
      // A token in the default place (?token=) is not looked at when tokenFrom says otherwise.
      assert.equal(await handshakeOutcome(srv.url(`/?token=${token}`)), 401)
    } finally {
      await srv.close()
    }
  })

  test('each bad token is the same bare 401; the reason goes only to the debug log', async () => {
    const logger = recordingLogger()
    const srv = await startServer({
      auth: jwt({ publicKey: keys.rsa.publicPem, issuer: 'https://issuer.test', audience: 'api' }),
      debug: true,
      logger,
    })
    const good = { sub: 'u1', iss: 'https://issuer.test', aud: 'api' }
    const rs = (claims: Record<string, unknown>, options = {}) =>
      sign(claims, { alg: 'RS256', key: keys.rsa.privateKey, ...options })
    try {
      const bad: Record<string, string> = {
        'alg none': unsignedToken(good),
        // Algorithm confusion: HMAC keyed with the public key the server verifies RS256 with.
        'HS256 with the public key': await sign(good, { alg: 'HS256', key: keys.rsa.publicPem }),
        expired: await rs(good, { expiresIn: -120 }),
        'not yet valid': await rs(good, { notBefore: 120 }),
        'wrong iss': await rs({ ...good, iss: 'https://evil.test' }),
        'wrong aud': await rs({ ...good, aud: 'other' }),
        'bad signature': tampered(await rs(good)),
        malformed: 'not.a.jwt',
        'no sub': await rs({ iss: good.iss, aud: good.aud }),
      }
      const bodies = new Set<string>()
      for (const [name, token] of Object.entries(bad)) {
        const response = await rawRequest(
          srv.port,
          upgradeRequest(`/?token=${encodeURIComponent(token)}`),
        )
        assert.equal(statusOf(response), 401, name)
        bodies.add(response.replace(/^Date: .*$/m, ''))
      }
      const missing = await rawRequest(srv.port, upgradeRequest('/'))
      assert.equal(statusOf(missing), 401, 'missing')
      bodies.add(missing.replace(/^Date: .*$/m, ''))
      assert.equal(bodies.size, 1, 'every refusal is byte-for-byte the same response')
      const [body] = bodies
      assert.doesNotMatch(String(body), /expired|signature|issuer|audience|alg|sub|token/i)
      const reasons = logger.entries.map((entry) => entry.message).filter((m) => m.includes('401'))
      assert.equal(reasons.length, Object.keys(bad).length + 1)
      assert.ok(
        reasons.some((m) => /exp/i.test(m)),
        'the expired reason is in the log',
      )
      assert.ok(reasons.some((m) => /no token/.test(m)))
      assert.ok(
        reasons.every((m) => !m.includes('eyJ')),
        'no token is ever logged',
      )
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 401: Object.keys(bad).length + 1 })
      assert.equal(await handshakeOutcome(srv.url(`/?token=${await rs(good)}`)), 101)
    } finally {
      await srv.close()
    }
  })

  test('a numeric sub becomes a string userId; map() derives metadata; verifyClient runs after', async () => {
    const seen: WSConnection[] = []
    const verified: Array<string | undefined> = []
    const srv = await startServer({
      auth: jwt({ secret: SECRET, map: (payload) => ({ plan: payload.plan }) }),
      verifyClient: (request) => {
        verified.push(request.url)
        return request.url?.includes('deny') ? false : { metadata: { checked: true } }
      },
      onConnection: (conn) => seen.push(conn),
    })
    try {
      const token = await sign({ sub: 42 as unknown as string, plan: 'pro' })
      const conn = await identityOf(srv.url(`/?token=${token}`), {}, seen)
      assert.equal(conn?.userId, '42')
      assert.deepEqual(conn?.metadata, { plan: 'pro', checked: true })
      assert.equal(await handshakeOutcome(srv.url(`/?deny=1&token=${token}`)), 401)
      assert.equal(verified.length, 2)
      // verifyClient never runs for a refused token.
      assert.equal(await handshakeOutcome(srv.url('/?token=garbage')), 401)
      assert.equal(verified.length, 2)
    } finally {
      await srv.close()
    }
  })

  test('a sub that is not a string or a safe integer is refused (past 2^53 ids round onto each other)', async () => {
    const srv = await startServer({ auth: jwt({ secret: SECRET }) })
    try {
      for (const sub of [2 ** 53, 1.5, 1e21]) {
        const token = await sign({ sub: sub as unknown as string })
        assert.equal(await handshakeOutcome(srv.url(`/?token=${token}`)), 401, String(sub))
      }
    } finally {
      await srv.close()
    }
  })

  test('protocol: a dotted subprotocol name is never taken for the token', async () => {
    const seen: WSConnection[] = []
    const srv = await startServer({
      auth: jwt({ secret: SECRET, tokenFrom: 'protocol' }),
      subprotocols: ['wamp.2.json'],
      onConnection: (conn) => seen.push(conn),
    })
    try {
      const token = await sign({ sub: 'wamp-user' })
      const client = await connect(srv.url('/'), { protocols: ['wamp.2.json', token] })
      assert.equal(client.ws.protocol, 'wamp.2.json')
      client.close()
      await client.closed
      assert.equal(seen.at(-1)?.userId, 'wamp-user')
    } finally {
      await srv.close()
    }
  })

  test("without debug: true the refusal's reason still reaches logger.debug", async () => {
    const lines: string[] = []
    const logger = { ...recordingLogger(), debug: (line: string) => lines.push(line) }
    const srv = await startServer({ auth: jwt({ secret: SECRET }), logger })
    try {
      const expired = await sign({ sub: 'a' }, { expiresIn: -60 })
      assert.equal(await handshakeOutcome(srv.url(`/?token=${expired}`)), 401)
      assert.equal(lines.length, 1)
      assert.match(lines[0] ?? '', /handshake refused: 401 token refused: ERR_JWT_EXPIRED/)
      assert.doesNotMatch(lines[0] ?? '', /eyJ/)
    } finally {
      await srv.close()
    }
  })

  test('a verifyClient naming another user than the token is refused', async () => {
    const srv = await startServer({
      auth: jwt({ secret: SECRET }),
      verifyClient: () => ({ userId: 'mallory' }),
    })
    try {
      assert.equal(await handshakeOutcome(srv.url(`/?token=${await sign({ sub: 'alice' })}`)), 401)
    } finally {
      await srv.close()
    }
  })

  test('optional: no token is anonymous, a bad token is still 401', async () => {
    const seen: WSConnection[] = []
    const srv = await startServer({
      auth: jwt({ secret: SECRET, optional: true }),
      onConnection: (conn) => seen.push(conn),
    })
    try {
      const anonymous = await identityOf(srv.url('/'), {}, seen)
      assert.equal(anonymous?.userId, undefined)
      assert.equal(anonymous?.user, undefined)
      assert.equal(await handshakeOutcome(srv.url('/?token=garbage')), 401)
    } finally {
      await srv.close()
    }
  })

  test('a JWKS, local or fetched over loopback, verifies by kid', async () => {
    const jwk = { ...(await exportJWK(keys.rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
    const keySet = { keys: [jwk] }
    let fetched = 0
    const jwksHttp = createServer((_req, res) => {
      fetched++
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keySet))
    })
    const jwksPort = await listenOnLoopback(jwksHttp)
    after(() => closeHttp(jwksHttp))
    const token = await sign({ sub: 'k' }, { alg: 'RS256', key: keys.rsa.privateKey, kid: 'k1' })
    const unknownKid = await sign(
      { sub: 'k' },
      { alg: 'RS256', key: keys.rsa.privateKey, kid: 'k2' },
    )
    for (const jwks of [keySet, `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`]) {
      const srv = await startServer({ auth: jwt({ jwks }) })
      try {
        assert.equal(await handshakeOutcome(srv.url(`/?token=${token}`)), 101)
        assert.equal(await handshakeOutcome(srv.url(`/?token=${unknownKid}`)), 401)
      } finally {
        await srv.close()
      }
    }
    assert.ok(fetched >= 1, 'the remote set was fetched')
  })

  test('a route object sets its own auth, or none', async () => {
    const srv = await startServer({ auth: jwt({ secret: SECRET }) }, (wss) => {
      wss.route({ pattern: '/public', auth: false, onConnect: () => {} })
      wss.route({
        pattern: '/admin',
        auth: jwt({ publicKey: keys.rsa.publicKey }),
        onConnect: () => {},
      })
      wss.on('/app', () => {})
    })
    try {
      const hs = await sign({ sub: 'a' })
      const rs = await sign({ sub: 'a' }, { alg: 'RS256', key: keys.rsa.privateKey })
      assert.equal(await handshakeOutcome(srv.url('/public')), 101)
      assert.equal(await handshakeOutcome(srv.url('/app')), 401)
      assert.equal(await handshakeOutcome(srv.url(`/app?token=${hs}`)), 101)
      assert.equal(await handshakeOutcome(srv.url(`/admin?token=${hs}`)), 401)
      assert.equal(await handshakeOutcome(srv.url(`/admin?token=${rs}`)), 101)
    } finally {
      await srv.close()
    }
  })
})

describe('jwt() configuration', () => {
  const refused = (options: Parameters<typeof jwt>[0], pattern: RegExp) =>
    assert.throws(
      () => jwt(options),
      (error: Error & { code?: string }) =>
        error.code === ErrorCode.InvalidOption && pattern.test(error.message),
    )

  test('none, unknown names, mixed families and unfit keys are refused at once', () => {
    refused({ secret: SECRET, algorithms: ['none' as never] }, /unsigned tokens are never accepted/)
    refused({ secret: SECRET, algorithms: ['HS999' as never] }, /jwt\.algorithms/)
    refused({ publicKey: keys.rsa.publicPem, algorithms: ['RS256', 'HS256'] }, /not both/)
    refused({ publicKey: keys.rsa.publicPem, algorithms: ['HS256'] }, /an RSA key can verify/)
    refused({ publicKey: keys.rsa.publicPem, algorithms: ['ES256'] }, /an RSA key can verify/)
    refused({ publicKey: keys.ec.publicKey, algorithms: ['ES384'] }, /an EC key can verify/)
    refused({ secret: SECRET, algorithms: ['RS256'] }, /a secret can verify/)
    refused({ jwks: { keys: [] }, algorithms: ['HS256'] }, /public-key algorithms with jwks/)
  })

  test('exactly one key, public keys only, known options only', () => {
    refused({}, /exactly one of secret, publicKey or jwks/)
    refused({ secret: SECRET, publicKey: keys.rsa.publicPem }, /exactly one/)
    refused({ publicKey: keys.rsa.privateKey }, /never the private key/)
    const privatePem = keys.rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    refused({ publicKey: privatePem }, /never the private key/)
    refused({ secret: '' }, /jwt\.secret/)
    refused(
      { secret: undefined } as never,
      /"jwt\.secret": expected exactly one of secret, publicKey or jwks, got undefined/,
    )
    // A public key as an HMAC secret would let anyone holding it sign tokens.
    refused({ secret: keys.rsa.publicPem }, /not a PEM key/)
    refused({ secret: 'short' }, /at least 32 bytes for HS256/)
    refused(
      { secret: SECRET.padEnd(47, 'x'), algorithms: ['HS384'] },
      /at least 48 bytes for HS384/,
    )
    refused({ secret: SECRET, tokenFrom: 'body:token' as 'protocol' }, /jwt\.tokenFrom/)
    refused({ secret: SECRET, onExpiring: () => {} }, /refreshBefore/)
    refused({ secret: SECRET, issuer: '' }, /jwt\.issuer/)
    refused({ secret: SECRET, algorithm: ['HS256'] } as never, /did you mean "algorithms"/)
  })

  test('auth takes jwt() or seed 004 shape only', () => {
    assert.throws(
      () => createWebSocket({ auth: { secret: SECRET } as never }),
      /jwt\(\{ … \}\) or seed 004/,
    )
    assert.throws(
      () => createWebSocket({ auth: { jwtSecretKey: SECRET, jwtAlgorithm: 'HS256' } as never }),
      /Unknown option "jwtAlgorithm"/,
    )
    assert.throws(
      () => createWebSocket({ auth: { jwtSecretKey: undefined } as never }),
      /auth\.jwtSecretKey/,
    )
    assert.throws(
      () => createWebSocket({ auth: { jwtSecretKey: 'dev' } }),
      /"auth\.jwtSecretKey": expected at least 32 bytes for HS256/,
    )
  })
})
