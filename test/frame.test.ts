/** Frames built once for fan-out match ws's own framing, and the ws internals we use exist. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { Socket } from 'node:net'
import { describe, test } from 'node:test'
import * as wsModule from 'ws'
import { rawSocketOf, serverWindowBitsOf } from '../src/connection/ws-internals.ts'
import { buildFrame } from '../src/fanout/frame.ts'
import { toJsonPayload, toPayload } from '../src/fanout/payload.ts'
import { connect } from './helpers/client.ts'
import { startServer } from './helpers/server.ts'

/** ws's frame for the same data, as one buffer (server side: unmasked). */
function wsFrame(data: Buffer, binary: boolean): Buffer {
  // ws exports its Sender at runtime; @types/ws does not declare it.
  const sender = (wsModule as unknown as { Sender: { frame: (d: Buffer, o: object) => Buffer[] } })
    .Sender
  const frame = sender.frame.bind(sender)
  const parts = frame(data, {
    fin: true,
    opcode: binary ? 2 : 1,
    mask: false,
    readOnly: false,
    rsv1: false,
  })
  return Buffer.concat(parts)
}

describe('buildFrame', () => {
  for (const length of [0, 1, 125, 126, 127, 65_535, 65_536, 200_000]) {
    test(`a ${length}-byte payload frames exactly as ws frames it (text and binary)`, () => {
      const data = Buffer.alloc(length, 0x61)
      assert.deepEqual(buildFrame({ data, binary: false }), wsFrame(data, false))
      assert.deepEqual(buildFrame({ data, binary: true }), wsFrame(data, true))
    })
  }

  test('a payload builds its frame once and shares it', () => {
    const payload = toJsonPayload({ hello: 'world' })
    assert.equal(payload.frame, payload.frame)
    assert.deepEqual(payload.frame, wsFrame(Buffer.from('{"hello":"world"}'), false))
    assert.deepEqual(toPayload(Buffer.from([1, 2])).frame, Buffer.from([0x82, 2, 1, 2]))
  })
})

describe('ws internals (ws is pinned; these fail first if an upgrade changes them)', () => {
  test('package.json pins ws to an exact version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    assert.match(pkg.dependencies.ws, /^\d+\.\d+\.\d+$/)
  })

  test('rawSocketOf() returns the net.Socket under a WebSocket (one class on both sides)', async () => {
    const srv = await startServer({}, (wss) => wss.on('/', (conn) => conn.send('ok')))
    try {
      const client = await connect(srv.url('/'))
      assert.equal(await client.next(), 'ok')
      const socket = rawSocketOf(client.ws)
      assert.ok(socket instanceof Socket)
      assert.equal(socket.remotePort, srv.port)
      client.close()
    } finally {
      await srv.close()
    }
  })

  test('serverWindowBitsOf() reads the negotiated deflate window, undefined without deflate', async () => {
    const srv = await startServer({ perMessageDeflate: true }, (wss) =>
      wss.on('/', (conn) => conn.send('ok')),
    )
    try {
      const narrow = await connect(srv.url('/'), { perMessageDeflate: { serverMaxWindowBits: 10 } })
      const plain = await connect(srv.url('/'), { perMessageDeflate: false })
      assert.equal(await narrow.next(), 'ok')
      assert.equal(await plain.next(), 'ok')
      // Client and server share the WebSocket class, and so its _extensions internal.
      assert.equal(serverWindowBitsOf(narrow.ws), 10)
      assert.equal(serverWindowBitsOf(plain.ws), undefined)
      assert.throws(() => serverWindowBitsOf({} as never), /pin ws/)
      narrow.close()
      plain.close()
    } finally {
      await srv.close()
    }
  })

  test('rawSocketOf() fails loudly when the internal is missing', () => {
    assert.throws(() => rawSocketOf({} as never), /pin ws/)
  })
})
