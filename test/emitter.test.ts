/** The emitter: a process with no server reaches connections of a cluster over the in-process bus. */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import type { BusTransport } from '../src/adapter/bus.ts'
import { createEmitter, type Emitter } from '../src/adapter/emitter.ts'
import { RoomcastError } from '../src/errors.ts'
import { type BusCluster, busCluster } from './helpers/cluster.ts'
import { within } from './helpers/timeout.ts'

describe('emitter', () => {
  let cluster: BusCluster
  let transport: BusTransport
  let emitter: Emitter

  const host = (index: number) => {
    const node = cluster.nodes[index]
    assert.ok(node, `no node ${index}`)
    return node.host
  }

  /** Every connection's inbox, by id, across the cluster. */
  const inboxes = () => {
    const all: Record<string, string[]> = {}
    for (const { host } of cluster.nodes) {
      for (const id of host.connections.keys()) all[id] = host.inbox(id)
    }
    return all
  }

  beforeEach(async () => {
    cluster = await busCluster(3)
    transport = cluster.bus.transport()
    emitter = createEmitter({ transport })
    // a, b: room "lobby" on nodes 0 and 1; c: user u1 on node 2, also in "mods"; d: idle.
    host(0).connect('a', 'u1')
    host(1).connect('b', 'u2')
    host(2).connect('c', 'u1')
    host(2).connect('d')
    cluster.nodes[0]?.adapter.join('a', 'lobby')
    cluster.nodes[1]?.adapter.join('b', 'lobby')
    cluster.nodes[2]?.adapter.join('c', 'mods')
    await cluster.settle()
  })

  afterEach(async () => {
    await within(cluster.close(), 2000, 'cluster.close')
    await transport.close()
  })

  test('to(room) reaches its members, through the nodes that hold it only', async () => {
    const before = cluster.transports.map((t) => t.received)
    await emitter.to('lobby').send('hi')
    await cluster.settle()
    const traffic = cluster.transports.map((t, i) => t.received - (before[i] ?? 0))
    assert.deepEqual(traffic, [1, 1, 0])
    assert.deepEqual(inboxes(), { a: ['hi'], b: ['hi'], c: [], d: [] })
  })

  test('several rooms, users and clients are one union, each connection once', async () => {
    await emitter.to('lobby', 'mods').toUsers('u1').json({ n: 1 })
    await emitter.toClients('d', 'b').send('direct')
    await cluster.settle()
    assert.deepEqual(inboxes(), {
      a: ['{"n":1}'],
      b: ['{"n":1}', 'direct'],
      c: ['{"n":1}'],
      d: ['direct'],
    })
  })

  test('except skips connection ids and room members on every node', async () => {
    await emitter.except('b', 'mods').send('all but')
    await emitter.toUsers('u1', 'u2').except('lobby').send('users')
    await cluster.settle()
    assert.deepEqual(inboxes(), { a: ['all but'], b: [], c: ['users'], d: ['all but'] })
  })

  test('broadcast and broadcastJson reach everyone; bytes stay binary', async () => {
    await emitter.broadcast(Buffer.from([1, 2, 3]))
    await emitter.broadcastJson(['x'])
    await cluster.settle()
    const deliveries = host(2).deliveries.get('d') ?? []
    assert.deepEqual(
      deliveries.map(({ bytes, binary }) => [[...bytes], binary]),
      [
        [[1, 2, 3], true],
        [[...Buffer.from('["x"]')], false],
      ],
    )
    assert.equal(Object.values(inboxes()).flat().length, 8)
  })

  test('volatile travels with the target', async () => {
    host(1).busy.add('b')
    await emitter.volatile.to('lobby').send('tick')
    await cluster.settle()
    assert.deepEqual(inboxes(), { a: ['tick'], b: [], c: [], d: [] })
  })

  test('publish reaches every node once', async () => {
    await emitter.publish('jobs', { done: 3 })
    await cluster.settle()
    for (const { host } of cluster.nodes) assert.deepEqual(host.messages, [['jobs', { done: 3 }]])
  })

  test('rejects fast while the bus is down, without throwing', async () => {
    cluster.bus.down('redis gone')
    const sent = emitter.to('lobby').send('lost')
    await assert.rejects(sent, { name: 'AdapterError', code: 'ERR_ADAPTER_DOWN' })
    await assert.rejects(emitter.publish('jobs', 1), { code: 'ERR_ADAPTER_DOWN' })
    cluster.bus.up()
    await emitter.to('lobby').send('back')
    await cluster.settle()
    assert.deepEqual(inboxes().a, ['back'])
  })

  test('a different prefix reaches nobody here', async () => {
    const other = createEmitter({ transport, prefix: 'elsewhere' })
    await other.broadcast('hello')
    await cluster.settle()
    assert.equal(Object.values(inboxes()).flat().length, 0)
  })

  test('misuse throws at once', () => {
    assert.throws(() => emitter.to(''), RoomcastError)
    assert.throws(() => emitter.toClients(''), TypeError)
    assert.throws(() => emitter.broadcast({} as never), TypeError)
    assert.throws(() => createEmitter({ transport, prefix: '' }), RoomcastError)
  })
})
