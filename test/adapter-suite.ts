/**
 * The behaviour every adapter shares, run against each with 1 or more nodes.
 * Connections are spread over the nodes (`at(i)` is node i mod size), so with
 * several nodes the same expectations cover cross-node delivery and queries.
 * Tests settle after joining: a cluster's subscription to a new room takes a
 * bus round trip, and a broadcast sent before it lands is not delivered there.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import type { Adapter, ConnectionInfo, PresenceEvent } from '../src/adapter/types.ts'
import { Payload } from '../src/fanout/payload.ts'
import type { FakeHost } from './helpers/adapter-host.ts'
import type { MakeCluster, TestCluster, TestNode } from './helpers/cluster.ts'
import { within } from './helpers/timeout.ts'

const text = (value: string) => new Payload(Buffer.from(value), false)
const sorted = (values: Iterable<string>) => [...values].sort()
const TIMEOUT = 1000

export function runAdapterSuite(name: string, makeCluster: MakeCluster, size: number): void {
  describe(`adapter suite: ${name}, ${size} node(s)`, () => {
    let cluster: TestCluster
    /** Node index of each connection opened through open(). */
    let owner: Map<string, number>

    const at = (index: number): TestNode => {
      const node = cluster.nodes[index % size]
      assert.ok(node, `no node ${index % size}`)
      return node
    }
    const adapter = (index: number): Adapter => at(index).adapter
    const host = (index: number): FakeHost => at(index).host
    const hosts = () => cluster.nodes.map((node) => node.host)

    /** Opens `id` on node `index`, as `userId`, in `rooms`. */
    const open = (index: number, id: string, userId?: string, ...rooms: string[]) => {
      host(index).connect(id, userId, { node: index % size })
      owner.set(id, index % size)
      for (const room of rooms) adapter(index).join(id, room)
    }

    /** Everything `id` received, wherever it lives. */
    const inbox = (id: string) => hosts().flatMap((each) => each.inbox(id))

    /** Asserts who got `message` exactly once, and that nobody else got anything. */
    const assertReached = (expected: string[], message: string) => {
      for (const id of owner.keys()) {
        assert.deepEqual(inbox(id), expected.includes(id) ? [message] : [], `inbox of ${id}`)
      }
    }

    /** How many of `ids` live on node 0, the publisher in these tests. */
    const localTo0 = (ids: string[]) => ids.filter((id) => owner.get(id) === 0).length

    beforeEach(async () => {
      owner = new Map()
      cluster = await within(makeCluster(size), 3000, 'makeCluster')
    })

    afterEach(() => within(cluster.close(), 2000, 'cluster.close'))

    test('join, leave and the local index', () => {
      open(0, 'c1', 'u1')
      open(0, 'c2')
      const a = adapter(0)
      assert.equal(a.join('c1', 'r'), true)
      assert.equal(a.join('c1', 'r'), false)
      a.join('c2', 'r')
      a.join('c2', 's')
      assert.deepEqual(sorted(a.membersOf('r') ?? []), ['c1', 'c2'])
      assert.deepEqual(sorted(a.roomsOf('c2') ?? []), ['r', 's'])
      assert.deepEqual(sorted(a.localRooms()), ['r', 's'])
      assert.equal(a.localRoomCount, 2)
      assert.deepEqual(sorted(a.userConnections('u1') ?? []), ['c1'])
      a.leave('c1', 'r')
      a.leave('c1', 'r')
      assert.deepEqual(sorted(a.membersOf('r') ?? []), ['c2'])
      host(0).close('c2')
      assert.equal(a.membersOf('r'), undefined)
      assert.equal(a.roomsOf('c2'), undefined)
      assert.equal(a.localRoomCount, 0)
      host(0).close('c1')
      assert.equal(a.userConnections('u1'), undefined)
    })

    test('a broadcast with no target reaches every connection once', async () => {
      for (let i = 0; i < 6; i++) open(i, `c${i}`)
      await cluster.settle()
      const reached = adapter(0).broadcast({}, text('hi'))
      await cluster.settle()
      const all = [...owner.keys()]
      assert.equal(reached, localTo0(all))
      assertReached(all, 'hi')
    })

    test('a broadcast to a room reaches its members only', async () => {
      open(0, 'a', undefined, 'r')
      open(1, 'b', undefined, 'r')
      open(2, 'c', undefined, 'other')
      open(3, 'd')
      await cluster.settle()
      const reached = adapter(0).broadcast({ rooms: ['r'] }, text('room'))
      await cluster.settle()
      assert.equal(reached, localTo0(['a', 'b']))
      assertReached(['a', 'b'], 'room')
    })

    test('a broadcast to several rooms reaches each member once', async () => {
      for (let i = 0; i < 3; i++) {
        open(i, `both${i}`, undefined, 'x', 'y')
        open(i, `x${i}`, undefined, 'x')
        open(i, `y${i}`, undefined, 'y')
        open(i, `none${i}`, undefined, 'z')
      }
      await cluster.settle()
      adapter(0).broadcast({ rooms: ['x', 'y'] }, text('xy'))
      await cluster.settle()
      const expected = [...owner.keys()].filter((id) => !id.startsWith('none'))
      assertReached(expected, 'xy')
    })

    test('a broadcast to users reaches every connection of those users', async () => {
      open(0, 'u1a', 'u1')
      open(1, 'u1b', 'u1')
      open(2, 'u2a', 'u2')
      open(2, 'u3a', 'u3')
      open(1, 'anon')
      await cluster.settle()
      adapter(0).broadcast({ users: ['u1', 'u2'] }, text('users'))
      await cluster.settle()
      assertReached(['u1a', 'u1b', 'u2a'], 'users')
    })

    test('a broadcast to ids reaches those connections wherever they are', async () => {
      for (let i = 0; i < 4; i++) open(i, `c${i}`)
      await cluster.settle()
      const reached = adapter(0).broadcast({ ids: ['c0', 'c1', 'c2', 'gone'] }, text('ids'))
      await cluster.settle()
      assert.equal(reached, localTo0(['c0', 'c1', 'c2']))
      assertReached(['c0', 'c1', 'c2'], 'ids')
    })

    test('a target mixing rooms, users and ids is one union', async () => {
      open(0, 'r0', 'u1', 'r')
      open(1, 'r1', undefined, 'r')
      open(2, 'u1b', 'u1')
      open(1, 'id', undefined, 'r')
      open(2, 'other')
      await cluster.settle()
      adapter(0).broadcast({ rooms: ['r'], users: ['u1'], ids: ['id', 'u1b'] }, text('mix'))
      await cluster.settle()
      assertReached(['r0', 'r1', 'u1b', 'id'], 'mix')
    })

    test('except skips ids (on any node) and the members of rooms', async () => {
      open(0, 'a', undefined, 'r')
      open(1, 'b', undefined, 'r')
      open(2, 'c', undefined, 'r', 'muted')
      open(3, 'd', undefined, 'r')
      open(4, 'e', undefined, 'muted')
      await cluster.settle()
      adapter(0).broadcast({ rooms: ['r'], except: ['b', 'muted'] }, text('ex'))
      adapter(0).broadcast({ except: ['a', 'd'] }, text('all-but'))
      await cluster.settle()
      assert.deepEqual(inbox('a'), ['ex'])
      assert.deepEqual(inbox('b'), ['all-but'])
      assert.deepEqual(inbox('c'), ['all-but'])
      assert.deepEqual(inbox('d'), ['ex'])
      assert.deepEqual(inbox('e'), ['all-but'])
    })

    test('volatile reaches every node, which skips its busy connections', async () => {
      open(0, 'idle0', undefined, 'r')
      open(1, 'busy1', undefined, 'r')
      open(2, 'idle2', undefined, 'r')
      host(1).busy.add('busy1')
      await cluster.settle()
      adapter(0).broadcast({ rooms: ['r'], volatile: true }, text('v'))
      adapter(0).broadcast({ rooms: ['r'] }, text('n'))
      await cluster.settle()
      assert.deepEqual(inbox('idle0'), ['v', 'n'])
      assert.deepEqual(inbox('idle2'), ['v', 'n'])
      assert.deepEqual(inbox('busy1'), ['n'])
      const flags = hosts().flatMap((each) => each.deliveries.get('idle2') ?? [])
      assert.deepEqual(
        flags.map((delivery) => delivery.volatile),
        [true, false],
      )
    })

    test('accept filters on this node, and the broadcast stays here', async () => {
      for (let i = 0; i < 6; i++) open(i, `c${i}`)
      const reached = adapter(0).broadcast({}, text('mine'), (id) => id !== 'c0')
      await cluster.settle()
      const expected = [...owner.keys()].filter((id) => owner.get(id) === 0 && id !== 'c0')
      assert.equal(reached, expected.length)
      assertReached(expected, 'mine')
    })

    test('binary payloads arrive as the same bytes, flagged binary', async () => {
      open(1, 'c', undefined, 'r')
      await cluster.settle()
      adapter(0).broadcast({ rooms: ['r'] }, new Payload(Buffer.from([0, 1, 2, 255]), true))
      await cluster.settle()
      const [delivery] = host(1).deliveries.get('c') ?? []
      assert.ok(delivery)
      assert.equal(delivery.binary, true)
      assert.deepEqual(delivery.bytes, Buffer.from([0, 1, 2, 255]))
    })

    test('request count and rooms merge every node', async () => {
      for (let i = 0; i < 5; i++) open(i, `c${i}`, undefined, `room${i}`)
      const count = await adapter(0).request({ kind: 'count' }, TIMEOUT)
      assert.equal(count.partial, false)
      assert.deepEqual(count.errors, [])
      assert.equal(count.answers.size, size)
      assert.equal(
        [...count.answers.values()].reduce((sum, n) => sum + n, 0),
        5,
      )
      const rooms = await adapter(1).request({ kind: 'rooms' }, TIMEOUT)
      assert.deepEqual(sorted(new Set([...rooms.answers.values()].flat())), [
        'room0',
        'room1',
        'room2',
        'room3',
        'room4',
      ])
      assert.deepEqual(sorted(rooms.answers.keys()), sorted(hosts().map((each) => each.nodeId)))
    })

    test('request fetch describes the matching connections with their node', async () => {
      open(0, 'a', 'u1', 'r')
      open(1, 'b', 'u2', 'r')
      open(2, 'c', undefined, 'r', 'hidden')
      open(2, 'd', 'u1')
      const result = await adapter(0).request(
        { kind: 'fetch', target: { rooms: ['r'], users: ['u1'], except: ['hidden'] } },
        TIMEOUT,
      )
      assert.equal(result.partial, false)
      const infos: ConnectionInfo[] = [...result.answers.values()].flat()
      const byId = new Map(infos.map((info) => [info.id, info]))
      assert.deepEqual(sorted(byId.keys()), ['a', 'b', 'd'])
      assert.deepEqual(byId.get('b'), {
        id: 'b',
        nodeId: host(1).nodeId,
        userId: 'u2',
        metadata: { node: owner.get('b') },
        rooms: ['r'],
      })
    })

    test('request join and leave act on connections on every node', async () => {
      open(0, 'a', 'u1')
      open(1, 'b', 'u1')
      open(2, 'c', 'u2')
      const joined = await adapter(0).request(
        { kind: 'join', target: { users: ['u1'] }, rooms: ['vip', 'news'] },
        TIMEOUT,
      )
      assert.equal(
        [...joined.answers.values()].reduce((sum, n) => sum + n, 0),
        2,
      )
      assert.deepEqual(sorted(adapter(1).roomsOf('b') ?? []), ['news', 'vip'])
      assert.equal(adapter(2).roomsOf('c'), undefined)
      const left = await adapter(2).request(
        { kind: 'leave', target: { rooms: ['vip'] }, rooms: ['vip'] },
        TIMEOUT,
      )
      assert.equal(
        [...left.answers.values()].reduce((sum, n) => sum + n, 0),
        2,
      )
      assert.deepEqual(sorted(adapter(0).roomsOf('a') ?? []), ['news'])
      assert.deepEqual(sorted(adapter(1).roomsOf('b') ?? []), ['news'])
    })

    test('request disconnect closes connections anywhere', async () => {
      open(0, 'a', 'u1')
      open(1, 'b', 'u1')
      open(2, 'c', 'u2')
      const result = await adapter(2).request(
        { kind: 'disconnect', target: { users: ['u1'] }, code: 4000, reason: 'kicked' },
        TIMEOUT,
      )
      assert.equal(
        [...result.answers.values()].reduce((sum, n) => sum + n, 0),
        2,
      )
      const closed = hosts().flatMap((each) => each.disconnected)
      assert.deepEqual(closed.map(({ id }) => id).sort(), ['a', 'b'])
      assert.ok(closed.every(({ code, reason }) => code === 4000 && reason === 'kicked'))
      const count = await adapter(0).request({ kind: 'count' }, TIMEOUT)
      assert.equal(
        [...count.answers.values()].reduce((sum, n) => sum + n, 0),
        1,
      )
    })

    test('presence: join on a first connection anywhere, leave when fully gone', async () => {
      open(0, 'a', 'u1')
      open(1, 'b', 'u1')
      open(2, 'c')
      adapter(0).join('a', 'r')
      await cluster.settle()
      adapter(1).join('b', 'r')
      adapter(2).join('c', 'r')
      await cluster.settle()
      const joined: PresenceEvent[] = [{ type: 'join', room: 'r', userId: 'u1' }]
      for (const each of hosts()) assert.deepEqual(each.presenceEvents, joined, each.nodeId)
      host(0).close('a')
      await cluster.settle()
      for (const each of hosts()) assert.deepEqual(each.presenceEvents, joined, each.nodeId)
      adapter(1).leave('b', 'r')
      await cluster.settle()
      const left: PresenceEvent[] = [...joined, { type: 'leave', room: 'r', userId: 'u1' }]
      for (const each of hosts()) assert.deepEqual(each.presenceEvents, left, each.nodeId)
    })

    test('presence(room) lists users with their connection count per node', async () => {
      open(0, 'a', 'u1', 'r')
      open(1, 'b', 'u1', 'r')
      open(1, 'c', 'u1', 'r')
      open(2, 'd', 'u2', 'r')
      open(2, 'e', undefined, 'r')
      open(0, 'f', 'u3', 'elsewhere')
      await cluster.settle()
      const expected = new Map<string, Record<string, number>>()
      for (const [id, userId] of [
        ['a', 'u1'],
        ['b', 'u1'],
        ['c', 'u1'],
        ['d', 'u2'],
      ] as const) {
        const nodes = expected.get(userId) ?? {}
        const nodeId = host(owner.get(id) ?? -1).nodeId
        nodes[nodeId] = (nodes[nodeId] ?? 0) + 1
        expected.set(userId, nodes)
      }
      for (let i = 0; i < size; i++) {
        const entries = await adapter(i).presence('r')
        const actual = new Map(entries.map((entry) => [entry.userId, entry.nodes]))
        assert.deepEqual(actual, expected, `presence seen from node ${i}`)
      }
      assert.deepEqual(await adapter(0).presence('nobody-here'), [])
    })

    test('publish reaches every node once, this one included', async () => {
      await adapter(0).publish('news', { headline: 'hi', at: 1 })
      await cluster.settle()
      for (const each of hosts()) {
        assert.deepEqual(each.messages, [['news', { headline: 'hi', at: 1 }]], each.nodeId)
      }
    })
  })
}
