/** The `stats` cluster query (`wss.fetchNodes()`) and the admin page across two nodes on one bus. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { decode, encode } from '../src/adapter/wire.ts'
import type { AdminOverview } from '../src/admin.ts'
import { ClusterAdapter, createInProcessBus, type InProcessBus } from '../src/index.ts'
import { FakeHost } from './helpers/adapter-host.ts'
import { type AdminServer, bearer, call, postHeaders, startAdmin } from './helpers/admin.ts'
import { assertStillOpen, closedOf } from './helpers/client.ts'
import { eventually } from './helpers/timeout.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Two roomcast servers, each with the admin handler, on one in-process bus. */
async function twoNodes(bus: InProcessBus = createInProcessBus()): Promise<AdminServer[]> {
  const nodes: AdminServer[] = []
  for (let i = 0; i < 2; i++) {
    const adapter = new ClusterAdapter({ transport: bus.transport(), requestTimeout: 300 })
    const node = await startAdmin({}, { adapter })
    node.wss.on('error', () => {})
    cleanups.push(() => node.close())
    await node.wss.ready()
    nodes.push(node)
  }
  await eventually(
    () => nodes.every((node) => node.wss.health().nodes === 2),
    'nodes know each other',
  )
  return nodes
}

async function overview(port: number): Promise<AdminOverview> {
  const response = await call(port, { path: '/admin/api/overview', headers: bearer })
  assert.equal(response.status, 200, response.text)
  return response.json() as AdminOverview
}

describe('the stats query', () => {
  test('travels the wire and back; an unknown kind is still refused', () => {
    const request = {
      kind: 'request',
      origin: 'n1',
      requestId: 7,
      replyTo: 'n1',
      query: { kind: 'stats' },
    } as const
    assert.deepEqual(decode(encode(request)), request)
    const unknown = { ...request, query: { kind: 'secrets' } }
    assert.equal(decode(encode(unknown as never)), undefined)
  })

  test('fetchNodes() answers every node’s own stats and health', async () => {
    const [a, b] = (await twoNodes()) as [AdminServer, AdminServer]
    await b.open({ user: 'u1', rooms: ['x'] })
    await b.open({ user: 'u2' })
    await a.open()
    const reply = await a.wss.fetchNodes()
    assert.deepEqual([reply.nodes, reply.errors, reply.partial], [2, [], false])
    const byId = new Map(reply.value.map((node) => [node.nodeId, node]))
    assert.deepEqual(byId.get(a.wss.nodeId)?.stats, a.wss.getStats())
    assert.deepEqual(byId.get(b.wss.nodeId)?.stats, b.wss.getStats())
    assert.equal(byId.get(b.wss.nodeId)?.stats.connections, 2)
    assert.equal(byId.get(b.wss.nodeId)?.stats.rooms, 1)
    // Read on B before it answered: its publish counters have moved since, the rest has not.
    const { status, nodes, connections, closing } = b.wss.health()
    const health = byId.get(b.wss.nodeId)?.health
    assert.deepEqual(
      [health?.status, health?.nodes, health?.connections, health?.closing],
      [status, nodes, connections, closing],
    )
    assert.deepEqual([status, nodes, connections, closing], ['ok', 2, 2, false])
    assert.equal(byId.get(a.wss.nodeId)?.health.nodes, 2)
  })

  test('a node whose answer is malformed is listed as an error, the others still count', async () => {
    const bus = createInProcessBus()
    const [a] = (await twoNodes(bus)) as [AdminServer, AdminServer]
    const adapter = new ClusterAdapter({ transport: bus.transport() })
    const liar = new FakeHost('liar', adapter)
    liar.status = () => ({ nodeId: 'liar', stats: { connections: -1 }, health: {} }) as never
    await adapter.init(liar)
    cleanups.push(() => adapter.close())
    await eventually(() => a.wss.health().nodes === 3, 'the third node is known')
    const reply = await a.wss.fetchNodes()
    assert.equal(reply.nodes, 2)
    assert.deepEqual(reply.errors, [{ nodeId: 'liar', error: 'malformed answer' }])
    assert.equal(reply.partial, true)
  })
})

describe('the admin page across nodes', () => {
  test('lists both nodes and the other node’s connections; disconnects and broadcasts reach them', async () => {
    const [a, b] = (await twoNodes()) as [AdminServer, AdminServer]
    const remote = await b.open({ user: 'remote', rooms: ['ops'] })
    const local = await a.open({ user: 'local', rooms: ['ops'] })
    const view = await overview(a.port)
    assert.deepEqual(
      [view.figures.connections, view.figures.users, view.figures.rooms, view.figures.nodes],
      [2, 2, 1, 2],
    )
    assert.deepEqual(
      view.nodes.map((node) => [node.nodeId, node.self, node.status, node.connections]),
      [
        [a.wss.nodeId, true, 'ok', 1],
        [b.wss.nodeId, false, 'ok', 1],
      ],
    )
    assert.deepEqual(
      view.connections.map((conn) => [conn.userId, conn.nodeId]),
      [
        ['local', a.wss.nodeId],
        ['remote', b.wss.nodeId],
      ],
    )
    assert.equal(view.rooms[0]?.connections, 2)

    const sent = await call(a.port, {
      method: 'POST',
      path: '/admin/api/broadcast',
      headers: postHeaders,
      body: { room: 'ops', message: 'to both nodes' },
    })
    assert.deepEqual(sent.json(), { reachedLocally: 1 })
    assert.equal(await remote.next(), 'to both nodes')
    assert.equal(await local.next(), 'to both nodes')

    const id = view.connections.find((conn) => conn.userId === 'remote')?.id
    const closed = await call(a.port, {
      method: 'POST',
      path: '/admin/api/disconnect',
      headers: postHeaders,
      body: { id },
    })
    assert.deepEqual(closed.json(), { closed: 1, errors: [], partial: false })
    assert.deepEqual(await closedOf(remote), {
      code: 1008,
      reason: 'Disconnected by an administrator',
    })
    await assertStillOpen(local)
  })

  test('with the bus down the overview is partial: this node degraded, the other listed as an error', async () => {
    const bus = createInProcessBus()
    const [a, b] = (await twoNodes(bus)) as [AdminServer, AdminServer]
    await a.open({ rooms: ['r'] })
    bus.down('redis gone')
    const view = await overview(a.port)
    assert.equal(view.partial, true)
    assert.deepEqual(
      view.errors.map((error) => error.nodeId),
      [b.wss.nodeId],
    )
    assert.deepEqual([view.figures.nodes, view.figures.nodesOk], [1, 0])
    assert.deepEqual(
      [view.nodes[0]?.status, view.nodes[0]?.reason],
      ['degraded', 'message bus down: redis gone'],
    )
    bus.up()
  })
})

test('after the server closed, the overview answers for this node alone, marked closing', async () => {
  const [a] = (await twoNodes()) as [AdminServer, AdminServer]
  await a.wss.close()
  const view = await overview(a.port)
  assert.deepEqual(
    view.nodes.map((node) => [node.nodeId, node.closing]),
    [[a.wss.nodeId, true]],
  )
})
