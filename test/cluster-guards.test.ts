/** Guards on cluster-wide calls and identities: typos, malformed answers, a node closed while starting. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import {
  ClusterAdapter,
  type ClusterAnswers,
  type ClusterQuery,
  type ClusterResult,
  createInProcessBus,
  createWebSocket,
  MemoryAdapter,
} from '../src/index.ts'
import { connect, refusedStatus, type TestClient } from './helpers/client.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { closeAll } from './helpers/teardown.ts'
import { delay, eventually } from './helpers/timeout.ts'

const servers: TestServer[] = []
const clients: TestClient[] = []
afterEach(() => closeAll({ clients, servers }))

async function serve(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const server = await startServer(options, (wss) => wss.on('/', () => {}))
  servers.push(server)
  return server
}

describe('cluster targets are checked before anything is sent', () => {
  test('unknown keys, non-arrays and actions without a selector are TypeErrors', async () => {
    const { wss } = await serve()
    clients.push(await connect((servers[0] as TestServer).url('/')))
    await eventually(() => wss.getConnectionCount() === 1, 'connection')
    await assert.rejects(
      wss.disconnect({ user: ['u1'] } as never),
      /Unknown cluster target key "user"/,
    )
    await assert.rejects(wss.disconnect({ users: 'u1' } as never), /users must be an array/)
    await assert.rejects(wss.disconnect({}), /needs rooms, users or ids/)
    await assert.rejects(wss.joinRooms({ all: true }, 'ab' as never), /rooms must be an array/)
    await assert.rejects(wss.leaveRooms({ rooms: [''] }, ['x']), /non-empty strings/)
    assert.equal(wss.getConnectionCount(), 1, 'nothing was disconnected')
  })

  test('{ all: true } acts on every connection; fetch without a target lists all', async () => {
    const server = await serve()
    clients.push(await connect(server.url('/')), await connect(server.url('/')))
    await eventually(() => server.wss.getConnectionCount() === 2, 'connections')
    assert.equal((await server.wss.fetchConnections()).value.length, 2)
    const reply = await server.wss.disconnect({ all: true }, 4000, 'bye')
    assert.equal(reply.value, 2)
    assert.deepEqual(
      (await Promise.all(clients.map((c) => c.closed))).map((e) => e.code),
      [4000, 4000],
    )
  })

  test('a node answering with the wrong shape is listed as an error, not a rejection', async () => {
    class Garbled extends MemoryAdapter {
      override async request<K extends ClusterQuery['kind']>(
        query: Extract<ClusterQuery, { kind: K }>,
      ): Promise<ClusterResult<ClusterAnswers[K]>> {
        const own = await super.request(query)
        const answers = new Map<string, unknown>([...own.answers, ['other-node', 'garbage']])
        return { ...own, answers: answers as Map<string, ClusterAnswers[K]> }
      }
    }
    const { wss } = await serve({ adapter: new Garbled() })
    const rooms = await wss.fetchRooms()
    assert.deepEqual(rooms.value, [])
    assert.equal(rooms.partial, true)
    assert.deepEqual(rooms.errors, [{ nodeId: 'other-node', error: 'malformed answer' }])
    const count = await wss.countConnections()
    assert.equal(count.nodes, 1)
    assert.equal(count.partial, true)
  })
})

describe('identity and route checks', () => {
  test('a userId that is not a string is refused with 401', async () => {
    const server = await serve({ verifyClient: () => ({ userId: 42 }) as never })
    assert.equal(await refusedStatus(server.url('/')), 401)
  })

  test('a bad defaultRoom fails at wss.route(), not on every connection', () => {
    const wss = createWebSocket()
    assert.throws(() => wss.route({ pattern: '/r', defaultRoom: '' }), { code: 'ERR_INVALID_ROOM' })
  })
})

describe('a cluster node closed while it starts', () => {
  test('never starts heartbeating', async () => {
    const bus = createInProcessBus()
    const watcher = bus.transport()
    let heard = 0
    watcher.onMessage(() => heard++)
    await watcher.subscribe(['roomcast:nodes'])
    const adapter = new ClusterAdapter({ transport: bus.transport(), heartbeatInterval: 10 })
    const wss = createWebSocket({ adapter })
    await wss.close()
    await delay(80)
    assert.ok(heard <= 1, `heard ${heard} node messages after close (a bye at most)`)
    await watcher.close()
  })
})
