/** The cluster adapter over the in-process bus: the shared suite on 3 nodes, then routing, liveness and faults. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import { createInProcessBus } from '../src/adapter/bus.ts'
import { ClusterAdapter } from '../src/adapter/cluster.ts'
import { AdapterError } from '../src/adapter/errors.ts'
import type { Transport } from '../src/adapter/transport.ts'
import { RoomcastError } from '../src/errors.ts'
import { Payload } from '../src/fanout/payload.ts'
import { runAdapterSuite } from './adapter-suite.ts'
import { type BusCluster, type BusClusterOptions, busCluster } from './helpers/cluster.ts'
import { ControlledTransport } from './helpers/controlled-transport.ts'
import { delay, eventually, within } from './helpers/timeout.ts'

runAdapterSuite('cluster over the in-process bus', (size) => busCluster(size), 3)

const text = (value: string) => new Payload(Buffer.from(value), false)
const FAST = { heartbeatInterval: 20, nodeTimeout: 60 }

describe('cluster adapter', () => {
  let cluster: BusCluster | undefined
  let controls: ControlledTransport[] = []

  const start = async (size: number, options: BusClusterOptions = {}) => {
    controls = []
    const wrap = (transport: Transport) => {
      const control = new ControlledTransport(transport)
      controls.push(control)
      return control
    }
    cluster = await busCluster(size, { wrap, ...options })
    return cluster
  }

  const node = (index: number) => {
    const each = cluster?.nodes[index]
    assert.ok(each, `no node ${index}`)
    return each
  }

  const received = () => cluster?.transports.map((transport) => transport.received) ?? []

  /** How many messages each node's transport received while `act` ran and settled. */
  const traffic = async (act: () => void) => {
    const before = received()
    act()
    await cluster?.settle()
    return received().map((count, i) => count - (before[i] ?? 0))
  }

  afterEach(async () => {
    await within(cluster?.close() ?? Promise.resolve(), 2000, 'cluster.close')
    cluster = undefined
  })

  test('a broadcast reaches only the nodes holding its room, user or connection', async () => {
    const { nodes } = await start(3)
    node(1).host.connect('c1', 'u1')
    node(1).adapter.join('c1', 'solo')
    node(2).host.connect('c2', 'u2')
    await cluster?.settle()
    const from0 = (target: object) => () => node(0).adapter.broadcast(target, text('x'))
    assert.deepEqual(await traffic(from0({ rooms: ['solo'] })), [0, 1, 0])
    assert.deepEqual(await traffic(from0({ users: ['u2'] })), [0, 0, 1])
    assert.deepEqual(await traffic(from0({ ids: ['c1'] })), [0, 1, 0])
    assert.deepEqual(await traffic(from0({ rooms: ['nobody'] })), [0, 0, 0])
    // `all` reaches every node, the publisher too (it ignores its own echo).
    assert.deepEqual(await traffic(from0({})), [1, 1, 1])
    assert.deepEqual(node(1).host.inbox('c1'), ['x', 'x', 'x'])
    assert.deepEqual(node(2).host.inbox('c2'), ['x', 'x'])
    assert.equal(nodes.length, 3)
  })

  test('sends to local connections stay off the bus', async () => {
    await start(2)
    node(0).host.connect('here')
    await cluster?.settle()
    const sent = await traffic(() => node(0).adapter.broadcast({ ids: ['here'] }, text('x')))
    assert.deepEqual(sent, [0, 0])
    assert.deepEqual(node(0).host.inbox('here'), ['x'])
  })

  test('subscriptions follow local interest, batched, with no redundant pairs', async () => {
    await start(2)
    const { adapter, host } = node(1)
    host.connect('c', 'u')
    await cluster?.settle()
    const calls = controls[1]?.calls ?? []
    const before = calls.length
    adapter.join('c', 'brief')
    adapter.leave('c', 'brief')
    host.connect('flash')
    host.close('flash')
    await cluster?.settle()
    assert.deepEqual(calls.slice(before), [], 'a join and leave in one tick cancel out')
    for (let i = 0; i < 50; i++) adapter.join('c', `room${i}`)
    await cluster?.settle()
    const burst = calls.slice(before)
    assert.equal(burst.length, 1)
    assert.equal(burst[0]?.op, 'subscribe')
    assert.equal(burst[0]?.channels.length, 50)
    host.close('c')
    await cluster?.settle()
    const last = calls.at(-1)
    assert.equal(last?.op, 'unsubscribe')
    assert.deepEqual(
      [...(last?.channels ?? [])].sort(),
      [
        'roomcast:conn:c',
        ...Array.from({ length: 50 }, (_, i) => `roomcast:room:room${i}`),
        'roomcast:user:u',
      ].sort(),
    )
    const held = [...(cluster?.transports[1]?.channels ?? [])].sort()
    assert.deepEqual(held, [
      'roomcast:all',
      'roomcast:custom',
      'roomcast:node:node-1',
      'roomcast:nodes',
      'roomcast:presence',
    ])
  })

  test('a broadcast on two channels is delivered once by a node holding both', async () => {
    await start(2)
    node(1).host.connect('c')
    node(1).adapter.join('c', 'x')
    node(1).adapter.join('c', 'y')
    await cluster?.settle()
    const sent = await traffic(() => node(0).adapter.broadcast({ rooms: ['x', 'y'] }, text('once')))
    assert.deepEqual(sent, [0, 2])
    assert.deepEqual(node(1).host.inbox('c'), ['once'])
  })

  test('1000 messages to a room arrive in publish order', async () => {
    await start(2)
    node(1).host.connect('c')
    node(1).adapter.join('c', 'r')
    await cluster?.settle()
    const expected = Array.from({ length: 1000 }, (_, i) => `m${i}`)
    for (const message of expected) node(0).adapter.broadcast({ rooms: ['r'] }, text(message))
    await cluster?.settle()
    assert.deepEqual(node(1).host.inbox('c'), expected)
  })

  test('a silent node is dropped after nodeTimeout; requests to it are partial', async () => {
    // A timeout long enough that the silent node is still registered when the request expires.
    await start(3, { adapter: { heartbeatInterval: 20, nodeTimeout: 300 } })
    node(2).host.connect('c2', 'u2')
    node(2).adapter.join('c2', 'r')
    await cluster?.settle()
    assert.equal((await node(0).adapter.presence('r')).length, 1)
    const silent = controls[2]
    assert.ok(silent)
    silent.silenced = true
    const result = await node(0).adapter.request({ kind: 'count' }, 100)
    assert.deepEqual([...result.answers.keys()].sort(), ['node-0', 'node-1'])
    assert.deepEqual(result.errors, [{ nodeId: 'node-2', error: 'no answer within 100 ms' }])
    assert.equal(result.partial, true)
    await eventually(
      () => node(0).adapter.health().nodes === 2 && node(1).adapter.health().nodes === 2,
      'silent node dropped',
      1000,
    )
    assert.deepEqual(await node(0).adapter.presence('r'), [])
    for (const index of [0, 1]) {
      assert.deepEqual(node(index).host.presenceEvents, [
        { type: 'join', room: 'r', userId: 'u2' },
        { type: 'leave', room: 'r', userId: 'u2' },
      ])
    }
  })

  test('a request settles as soon as a node it waits for is dropped', async () => {
    await start(3, { adapter: FAST })
    const silent = controls[1]
    assert.ok(silent)
    silent.silenced = true
    const started = Date.now()
    const result = await node(0).adapter.request({ kind: 'rooms' }, 2000)
    assert.ok(Date.now() - started < 1000, 'did not wait for the request timeout')
    assert.deepEqual(result.errors, [{ nodeId: 'node-1', error: 'node left the cluster' }])
    assert.deepEqual([...result.answers.keys()].sort(), ['node-0', 'node-2'])
  })

  test('close() says bye: the others drop the node and its presence at once', async () => {
    await start(3)
    node(2).host.connect('c', 'u')
    node(2).adapter.join('c', 'r')
    await cluster?.settle()
    await node(2).adapter.close()
    await cluster?.settle()
    assert.equal(node(0).adapter.health().nodes, 2)
    assert.deepEqual(node(1).host.presenceEvents.at(-1), { type: 'leave', room: 'r', userId: 'u' })
  })

  test('bus down: local delivery goes on, failures are counted and reported once', async () => {
    const { bus } = await start(3)
    node(0).host.connect('c0')
    node(0).adapter.join('c0', 'r')
    await cluster?.settle()
    bus.down('redis gone')
    const { adapter, host } = node(0)
    assert.deepEqual(adapter.health(), {
      status: 'degraded',
      reason: 'message bus down: redis gone',
      nodes: 3,
      publishFailures: 0,
      // What the node said on joining the cluster, before the bus fell.
      publishes: 4,
      publishesPending: 0,
      publishesDropped: 0,
    })
    assert.equal(adapter.broadcast({ rooms: ['r'] }, text('a')), 1)
    assert.equal(adapter.broadcast({}, text('b')), 1)
    assert.deepEqual(host.inbox('c0'), ['a', 'b'])
    assert.equal(adapter.health().publishFailures, 2)
    await assert.rejects(adapter.publish('news', 1), { code: 'ERR_ADAPTER_DOWN' })
    const result = await within(adapter.request({ kind: 'count' }, 2000), 500, 'request')
    assert.equal(result.partial, true)
    assert.deepEqual(result.errors.map((error) => error.nodeId).sort(), ['node-1', 'node-2'])
    assert.equal(host.errors.length, 1)
    const [error] = host.errors
    assert.ok(error instanceof AdapterError)
    assert.equal(error.code, 'ERR_ADAPTER_DOWN')
    assert.match(error.message, /redis gone/)
  })

  test('bus back: health ok, subscriptions and presence caught up, nobody dropped', async () => {
    const { bus } = await start(3, { adapter: FAST })
    await cluster?.settle()
    bus.down()
    // Changes made during the outage: a subscription and a presence publish both fail.
    node(1).host.connect('late', 'u9')
    node(1).adapter.join('late', 'lobby')
    await delay(150)
    bus.up()
    assert.equal(node(0).adapter.health().status, 'ok')
    await eventually(
      () => node(0).host.presenceEvents.length > 0,
      'presence resynced after the outage',
      1000,
    )
    assert.deepEqual(node(0).host.presenceEvents, [{ type: 'join', room: 'lobby', userId: 'u9' }])
    assert.deepEqual(await node(2).adapter.presence('lobby'), [
      { userId: 'u9', nodes: { 'node-1': 1 } },
    ])
    await cluster?.settle()
    node(0).adapter.broadcast({ rooms: ['lobby'] }, text('welcome back'))
    await cluster?.settle()
    assert.deepEqual(node(1).host.inbox('late'), ['welcome back'])
    for (let i = 0; i < 3; i++) assert.equal(node(i).adapter.health().nodes, 3)
    assert.equal(node(1).host.errors.length, 1, 'one report for the whole outage')
  })

  test('a node that starts later gets every node’s presence and joins the registry', async () => {
    const { bus } = await start(2)
    node(0).host.connect('a', 'u1')
    node(0).adapter.join('a', 'r')
    node(1).host.connect('b', 'u2')
    node(1).adapter.join('b', 'r')
    await cluster?.settle()
    const late = await busCluster(1, { bus, offset: 2 })
    try {
      const [newcomer] = late.nodes
      assert.ok(newcomer)
      await eventually(() => newcomer.adapter.health().nodes === 3, 'newcomer knows the others')
      await late.settle()
      const entries = await newcomer.adapter.presence('r')
      assert.deepEqual(entries.map((entry) => [entry.userId, entry.nodes]).sort(), [
        ['u1', { 'node-0': 1 }],
        ['u2', { 'node-1': 1 }],
      ])
      assert.equal(node(1).adapter.health().nodes, 3)
    } finally {
      await late.close()
    }
  })

  test('garbage on the bus is ignored', async () => {
    const { bus } = await start(2)
    node(1).host.connect('c')
    await cluster?.settle()
    const stray = bus.transport()
    const header = (value: unknown) => {
      const json = Buffer.from(JSON.stringify(value))
      const out = Buffer.alloc(5 + json.length)
      out[0] = 1
      out.writeUInt32BE(json.length, 1)
      json.copy(out, 5)
      return out
    }
    const junk = [
      Buffer.alloc(0),
      Buffer.from('hello'),
      Buffer.from([1, 0, 0, 0, 99]),
      Buffer.from([1, 0, 0, 0, 2, 0x7b, 0x7b]),
      header(null),
      header({ kind: 'broadcast', origin: 'x', id: 1, multi: false, binary: false, target: 1 }),
      header({ kind: 'request', origin: 'x', requestId: 1, replyTo: 'x', query: { kind: 'rm' } }),
      header({ kind: 'sync', origin: 'x', entries: [['r', 'u', -1]] }),
    ]
    const channels = ['all', 'nodes', 'presence', 'custom', 'node:node-1', 'conn:c']
    for (const message of junk) {
      for (const channel of channels) await stray.publish(`roomcast:${channel}`, message)
    }
    await cluster?.settle()
    const { host, adapter } = node(1)
    assert.deepEqual([host.deliveries.size, host.messages.length, host.errors.length], [0, 0, 0])
    assert.equal(adapter.health().nodes, 2)
  })

  test('clusters with different prefixes share a bus without meeting', async () => {
    const bus = createInProcessBus()
    const other = await busCluster(2, { bus, adapter: { prefix: 'other' } })
    try {
      await start(1, { bus })
      node(0).host.connect('mine')
      other.nodes[1]?.host.connect('theirs')
      other.nodes[0]?.adapter.broadcast({}, text('hello'))
      await other.settle()
      assert.equal(node(0).adapter.health().nodes, 1)
      assert.equal(other.nodes[0]?.adapter.health().nodes, 2)
      assert.deepEqual(node(0).host.inbox('mine'), [])
      assert.deepEqual(other.nodes[1]?.host.inbox('theirs'), ['hello'])
    } finally {
      await other.close()
    }
  })

  test('close() closes the transport only when the adapter owns it', async () => {
    await start(1)
    await node(0).adapter.close()
    await node(0).adapter.close()
    const kept = cluster?.transports[0]
    assert.equal(kept?.closed, false)
    assert.equal(kept?.channels.size, 0)
    await cluster?.close()
    await start(1, { adapter: { ownsTransport: true } })
    await node(0).adapter.close()
    assert.equal(cluster?.transports[0]?.closed, true)
  })

  test('options are checked before anything starts', () => {
    const transport = createInProcessBus().transport()
    const invalid = (options: object, pattern: RegExp) =>
      assert.throws(
        () => new ClusterAdapter({ transport, ...options }),
        (error: unknown) =>
          error instanceof RoomcastError &&
          error.code === 'ERR_INVALID_OPTION' &&
          pattern.test(error.message),
      )
    invalid({ heartbeatInterval: 0 }, /heartbeatInterval/)
    invalid({ heartbeatInterval: 100, nodeTimeout: 100 }, /nodeTimeout/)
    invalid({ requestTimeout: Number.NaN }, /requestTimeout/)
    invalid({ prefix: '' }, /prefix/)
    invalid({ nodeId: '' }, /nodeId/)
    invalid({ transport: {} }, /transport/)
  })
})
