/** Revocation across a cluster over a real redis-server, and the revoked id kept there for later nodes. */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { jwt } from '../src/index.ts'
import { createRedisAdapter } from '../src/redis.ts'
import { assertStillOpen, closedOf, connect, handshakeOutcome } from './helpers/client.ts'
import { type RedisProcess, rawCommand, startRedis } from './helpers/redis.ts'
import { type RedisCluster, redisCluster } from './helpers/redis-cluster.ts'
import { startServer } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { within } from './helpers/timeout.ts'
import { nowSeconds, SECRET, sign } from './helpers/tokens.ts'

const cleanups = cleanupsAfterEach()

let redis: RedisProcess
before(async () => {
  redis = await within(startRedis(), 8000, 'startRedis')
})
after(() => redis.kill())

async function cluster(prefix: string): Promise<RedisCluster> {
  const nodes = await redisCluster(redis.url, {
    size: 2,
    prefix,
    server: { auth: jwt({ secret: SECRET }), verifyClient: () => true },
  })
  cleanups.push(() => within(nodes.close(), 5000, 'cluster close'))
  return nodes
}

function urlOf(nodes: RedisCluster, index: number, token: string): string {
  const srv = nodes.nodes[index]?.srv
  assert.ok(srv)
  return srv.url(`/?token=${token}`)
}

async function openOn(nodes: RedisCluster, index: number, token: string) {
  const client = await connect(urlOf(nodes, index, token))
  cleanups.push(() => client.ws.terminate())
  return client
}

describe('revocation across nodes over Redis', () => {
  test('revoking a user on one node closes its connections on every node with 4003', async () => {
    const nodes = await cluster('revoke-user')
    const onA = await openOn(nodes, 0, await sign({ sub: 'alice' }))
    const onB = await openOn(nodes, 1, await sign({ sub: 'alice' }))
    const bob = await openOn(nodes, 1, await sign({ sub: 'bob' }))
    const reply = await nodes.nodes[0]?.wss.revoke({ userId: 'alice' })
    assert.equal(reply?.value, 2)
    assert.equal(reply?.nodes, 2)
    for (const client of [onA, onB]) {
      assert.deepEqual(await closedOf(client), { code: 4003, reason: 'Revoked' })
    }
    await assertStillOpen(bob)
  })

  test('a revoked jti closes where it is held, is refused on every node and by a node started later, for the token’s lifetime', async () => {
    const nodes = await cluster('revoke-jti')
    const exp = nowSeconds() + 60
    const token = await sign({ sub: 'carol', jti: 'jti-carol', exp }, { expiresIn: null })
    const holder = await openOn(nodes, 1, token)
    const reply = await nodes.nodes[0]?.wss.revoke({ jti: 'jti-carol' })
    assert.equal(reply?.value, 1)
    assert.equal((await closedOf(holder)).code, 4003)
    for (const index of [0, 1]) {
      assert.equal(await handshakeOutcome(urlOf(nodes, index, token)), 401, `node ${index}`)
    }
    // Kept in Redis with the token's remaining lifetime, found on node 1 though node 0 revoked it.
    const ttl = Number((await rawCommand(redis.port, 'PTTL revoke-jti:revoked:jti-carol')).slice(1))
    assert.ok(ttl > 55_000 && ttl <= 60_000, `PTTL ${ttl}`)

    const adapter = await createRedisAdapter({ redis: redis.url, prefix: 'revoke-jti' })
    const late = await startServer({ auth: jwt({ secret: SECRET }), adapter })
    cleanups.push(() => late.close())
    await within(late.wss.ready(), 3000, 'late node ready')
    assert.equal(await handshakeOutcome(late.url(`/?token=${token}`)), 401)
    const fresh = await sign({ sub: 'carol', jti: 'jti-other' })
    assert.equal(await handshakeOutcome(late.url(`/?token=${fresh}`)), 101)
  })
})
