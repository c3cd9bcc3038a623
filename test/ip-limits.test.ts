/** Per-address limits before the upgrade: connections per IP, handshake rate, X-Forwarded-For through trustProxy. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createWebSocket, ErrorCode } from '../src/index.ts'
import { closedOf, handshakeOutcome } from './helpers/client.ts'
import { rawRequest, upgradeRequest } from './helpers/raw-socket.ts'
import { recordingLogger } from './helpers/server.ts'
import { serverFixture } from './helpers/teardown.ts'
import { delay, eventually } from './helpers/timeout.ts'

const { open, serve } = serverFixture()

describe('per-address limits', () => {
  test('maxConnectionsPerIp: one more is 429 with Retry-After; a closed one frees its slot', async () => {
    const server = await serve((wss) => wss.on('/', () => {}), { maxConnectionsPerIp: 2 })
    const first = await open(server.url())
    await open(server.url())
    const refused = await rawRequest(server.port, upgradeRequest('/'))
    assert.match(refused, /^HTTP\/1\.1 429 Too Many Requests\r\n/)
    assert.match(refused, /\r\nRetry-After: 1\r\n/)
    assert.match(refused, /Too many connections from this address$/)
    first.close()
    await closedOf(first)
    await eventually(() => server.wss.getConnectionCount() === 1, 'one left')
    assert.equal(await handshakeOutcome(server.url()), 101)
    assert.deepEqual(server.wss.getStats().handshakesRejected, { 429: 1 })
  })

  test('handshakeRate.perIp: a burst past the rate is 429, the next second is allowed again', async () => {
    const server = await serve((wss) => wss.on('/', () => {}), { handshakeRate: { perIp: 3 } })
    const outcomes = []
    for (let i = 0; i < 4; i++) outcomes.push(await handshakeOutcome(server.url()))
    assert.deepEqual(outcomes, [101, 101, 101, 429])
    await delay(400)
    assert.equal(await handshakeOutcome(server.url()), 101, 'a token refilled')
  })

  test('handshakeRate.perSecond bounds every address together', async () => {
    const server = await serve((wss) => wss.on('/', () => {}), {
      handshakeRate: { perSecond: 2 },
      trustProxy: true,
    })
    const from = (ip: string) =>
      handshakeOutcome(server.url(), { headers: { 'x-forwarded-for': ip } })
    assert.deepEqual(
      [await from('10.0.0.1'), await from('10.0.0.2'), await from('10.0.0.3')],
      [101, 101, 429],
    )
  })

  test('trustProxy: X-Forwarded-For names the client, as many hops as trusted; without it, the socket does', async () => {
    const behindProxy = await serve((wss) => wss.on('/', () => {}), {
      maxConnectionsPerIp: 1,
      trustProxy: true,
    })
    const via = (value: string) => ({ headers: { 'x-forwarded-for': value } })
    await open(behindProxy.url(), via('10.0.0.1'))
    // A client-supplied first entry does not help: one proxy appended the real one last.
    await open(behindProxy.url(), via('10.0.0.1, 10.0.0.2'))
    assert.equal(await handshakeOutcome(behindProxy.url(), via('10.0.0.9, 10.0.0.1')), 429)

    const direct = await serve((wss) => wss.on('/', () => {}), { maxConnectionsPerIp: 1 })
    await open(direct.url(), via('10.0.0.1'))
    assert.equal(await handshakeOutcome(direct.url(), via('10.0.0.2')), 429)
  })

  test('options are checked', () => {
    const refused = (options: object, pattern: RegExp) =>
      assert.throws(
        () => createWebSocket({ logger: recordingLogger(), ...options }),
        (error: Error & { code?: string }) =>
          error.code === ErrorCode.InvalidOption && pattern.test(error.message),
      )
    refused({ maxConnectionsPerIp: -1 }, /maxConnectionsPerIp/)
    refused({ handshakeRate: { perIP: 3 } }, /did you mean "perIp"/)
    refused({ handshakeRate: { perIp: 1.5 } }, /handshakeRate\.perIp/)
    refused({ trustProxy: 'yes' }, /trustProxy/)
  })
})
