/** The bus codec and channel names: round trips, the byte layout, and garbage that must decode to undefined. */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { Channels } from '../src/adapter/channels.ts'
import {
  broadcastMarker,
  decode,
  encode,
  startsWith,
  type WireMessage,
} from '../src/adapter/wire.ts'

const messages: WireMessage[] = [
  {
    kind: 'broadcast',
    origin: 'n1',
    id: 7,
    multi: true,
    target: { rooms: ['a', 'b'], except: ['c1'], volatile: true },
    binary: true,
    data: Buffer.from([0, 1, 2, 255]),
  },
  { kind: 'publish', origin: 'n1', channel: 'jobs', message: { done: [1, 2], ok: null } },
  { kind: 'node', origin: 'n2', event: 'heartbeat', time: 1700000000000 },
  {
    kind: 'request',
    origin: 'n1',
    requestId: 3,
    replyTo: 'n1',
    query: { kind: 'disconnect', target: { users: ['u'] }, code: 4000, reason: 'bye' },
  },
  { kind: 'response', origin: 'n2', requestId: 3, answer: [{ id: 'c' }], error: undefined },
  { kind: 'response', origin: 'n2', requestId: 4, answer: undefined, error: 'boom' },
  { kind: 'presence', origin: 'n3', room: 'lobby', userId: 'u:1', count: 2 },
  { kind: 'sync', origin: 'n3', entries: [['lobby', 'u1', 1]] },
]

/** A message with the given header JSON and payload, in the wire layout. */
function frame(header: string, payload = Buffer.alloc(0), version = 1): Buffer {
  const json = Buffer.from(header)
  const out = Buffer.alloc(5 + json.length + payload.length)
  out[0] = version
  out.writeUInt32BE(json.length, 1)
  json.copy(out, 5)
  payload.copy(out, 5 + json.length)
  return out
}

describe('wire codec', () => {
  test('every kind survives a round trip', () => {
    for (const message of messages) assert.deepEqual(decode(encode(message)), message, message.kind)
  })

  test('layout: version byte, header length, JSON header, raw payload bytes', () => {
    const [broadcast] = messages
    assert.ok(broadcast?.kind === 'broadcast')
    const bytes = encode(broadcast)
    assert.equal(bytes[0], 1)
    const length = bytes.readUInt32BE(1)
    const header = JSON.parse(bytes.toString('utf8', 5, 5 + length))
    assert.equal(header.kind, 'broadcast')
    assert.equal('data' in header, false)
    assert.deepEqual(bytes.subarray(5 + length), broadcast.data)
  })

  test('a decoded payload is a view of the message, not a copy', () => {
    const bytes = encode({ ...(messages[0] as WireMessage & { kind: 'broadcast' }) })
    const decoded = decode(bytes)
    assert.ok(decoded?.kind === 'broadcast')
    assert.equal(decoded.data.buffer, bytes.buffer)
  })

  test('only the wire fields of a target are encoded', () => {
    const target = { rooms: ['r'], filter: () => true, conn: { socket: 1 } }
    const decoded = decode(
      encode({
        kind: 'broadcast',
        origin: 'n',
        id: 0,
        multi: false,
        target,
        binary: false,
        data: Buffer.alloc(0),
      }),
    )
    assert.ok(decoded?.kind === 'broadcast')
    assert.deepEqual(decoded.target, { rooms: ['r'] })
  })

  test('garbage decodes to undefined', () => {
    const bad = [
      Buffer.alloc(0),
      Buffer.from([1, 0, 0]),
      frame('{"kind":"node","origin":"n","event":"hello","time":1}', undefined, 2),
      Buffer.from([1, 0xff, 0xff, 0xff, 0xff, 0x7b, 0x7d]),
      frame('{not json'),
      frame('[]'),
      frame('"text"'),
      frame('{"kind":"node","event":"hello","time":1}'),
      frame('{"kind":"node","origin":"n","event":"wave","time":1}'),
      frame('{"kind":"teleport","origin":"n"}'),
      frame('{"kind":"broadcast","origin":"n","id":-1,"multi":false,"target":{},"binary":false}'),
      frame(
        '{"kind":"broadcast","origin":"n","id":1,"multi":false,"target":{"rooms":"r"},"binary":false}',
      ),
      frame(
        '{"kind":"broadcast","origin":"n","id":1,"multi":false,"target":{"ids":[1]},"binary":false}',
      ),
      frame('{"kind":"request","origin":"n","requestId":1,"replyTo":"n","query":{"kind":"drop"}}'),
      frame(
        '{"kind":"request","origin":"n","requestId":1,"replyTo":"n","query":{"kind":"join","target":{}}}',
      ),
      frame('{"kind":"response","origin":"n","requestId":1,"error":42}'),
      frame('{"kind":"presence","origin":"n","room":"r","userId":"u","count":1.5}'),
      frame('{"kind":"sync","origin":"n","entries":[["r","u"]]}'),
      frame('{"kind":"publish","origin":"n","channel":7,"message":1}'),
    ]
    for (const bytes of bad) assert.equal(decode(bytes), undefined, bytes.toString('hex'))
  })

  test('random bytes never throw', () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(i % 64)
      if (i % 2 === 0 && bytes.length > 4) bytes[0] = 1
      assert.doesNotThrow(() => decode(bytes))
    }
  })

  test('encode refuses a message with no JSON form', () => {
    const message = { kind: 'publish', origin: 'n', channel: 'c', message: 1n } as const
    assert.throws(() => encode(message), TypeError)
  })
})

describe('channels', () => {
  test('names are namespaced by the prefix', () => {
    const channels = new Channels()
    assert.deepEqual(
      [channels.all, channels.nodes, channels.presence, channels.custom],
      ['roomcast:all', 'roomcast:nodes', 'roomcast:presence', 'roomcast:custom'],
    )
    const app = new Channels('app')
    assert.deepEqual(
      [app.room('r'), app.user('u'), app.conn('c'), app.node('n')],
      ['app:room:r', 'app:user:u', 'app:conn:c', 'app:node:n'],
    )
  })

  test('a target maps to one channel per room, user and id, or to all', () => {
    const channels = new Channels('p')
    assert.deepEqual(channels.forTarget({}), ['p:all'])
    assert.deepEqual(channels.forTarget({ except: ['x'], volatile: true }), ['p:all'])
    assert.deepEqual(channels.forTarget({ rooms: [] }), [])
    assert.deepEqual(
      channels.forTarget({ rooms: ['a', 'a'], users: ['u'], ids: ['1', '2'] }, (id) => id === '1'),
      ['p:room:a', 'p:user:u', 'p:conn:2'],
    )
  })
})

describe('own broadcasts are recognised without parsing', () => {
  test('the marker matches broadcasts from that origin only', () => {
    const message = encode({
      kind: 'broadcast',
      origin: 'node-a',
      id: 1,
      multi: false,
      target: { rooms: ['r'] },
      binary: false,
      data: Buffer.from('hi'),
    })
    assert.equal(startsWith(message, broadcastMarker('node-a')), true)
    assert.equal(startsWith(message, broadcastMarker('node-b')), false)
    assert.equal(startsWith(message.subarray(0, 8), broadcastMarker('node-a')), false)
  })
})
