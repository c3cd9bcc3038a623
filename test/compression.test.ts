/** Compression strategies: one deflate per broadcast ('shared'), per connection ('dedicated'). */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { rawSocketOf } from '../src/connection/ws-internals.ts'
import { toPayload } from '../src/fanout/payload.ts'
import { createWebSocket, type RoomcastServer, type WSConnection } from '../src/index.ts'
import { connect } from './helpers/client.ts'
import { startServer, type TestServer } from './helpers/server.ts'

const BIG = JSON.stringify({
  rows: Array.from({ length: 400 }, (_, i) => ({ id: i % 7, name: 'row' })),
})

/** Opens a client and reports the Sec-WebSocket-Extensions the server answered with. */
async function open(srv: TestServer, deflate: object | false) {
  const client = await connect(srv.url('/'), { perMessageDeflate: deflate })
  return { client, extensions: String(client.headers['sec-websocket-extensions'] ?? '') }
}

async function withServer(
  options: Parameters<typeof createWebSocket>[0],
  run: (srv: TestServer, conns: WSConnection[]) => Promise<void>,
): Promise<void> {
  const conns: WSConnection[] = []
  const srv = await startServer(
    { ...options, onConnection: (conn) => void conns.push(conn) },
    (wss: RoomcastServer) => wss.on('/', (conn) => conn.join('room')),
  )
  try {
    await run(srv, conns)
  } finally {
    await srv.close()
  }
}

describe("compression: 'shared' (the default with perMessageDeflate)", () => {
  test('a broadcast is deflated once per window size and every client inflates it', async () => {
    await withServer({ perMessageDeflate: true }, async (srv) => {
      const a = await open(srv, {})
      const b = await open(srv, {})
      const narrow = await open(srv, { serverMaxWindowBits: 10 })
      const plain = await open(srv, false)
      assert.match(a.extensions, /permessage-deflate/)
      assert.equal(plain.extensions, '')
      await new Promise((resolve) => setTimeout(resolve, 20))
      assert.equal(srv.wss.broadcastToRoom('room', BIG), 4)
      for (const { client } of [a, b, narrow, plain]) assert.equal(await client.next(), BIG)
      // Compressed on the wire: far fewer bytes than the message for deflate clients.
      for (const { client } of [a, b, narrow]) {
        assert.ok(
          rawSocketOf(client.ws).bytesRead < BIG.length / 4,
          `${rawSocketOf(client.ws).bytesRead} bytes read`,
        )
      }
      assert.ok(rawSocketOf(plain.client.ws).bytesRead > BIG.length)
      for (const { client } of [a, b, narrow, plain]) client.close()
    })
  })

  test('the server declares server_no_context_takeover so one frame fits every stream', async () => {
    await withServer({ compression: 'shared' }, async (srv) => {
      const { client, extensions } = await open(srv, {})
      assert.match(extensions, /server_no_context_takeover/)
      client.close()
    })
  })

  test('sends, JSON and broadcasts, large and small, arrive in exactly the order they were made', async () => {
    await withServer({ perMessageDeflate: true }, async (srv, conns) => {
      const { client } = await open(srv, {})
      await new Promise((resolve) => setTimeout(resolve, 20))
      const conn = conns[0] as WSConnection
      const expected: string[] = []
      for (let i = 0; i < 20; i++) {
        const big = `${i}:${BIG}`
        conn.send(big)
        expected.push(big)
        conn.json({ i })
        expected.push(JSON.stringify({ i }))
        srv.wss.broadcastToRoom('room', `b${i}:${BIG}`)
        expected.push(`b${i}:${BIG}`)
        srv.wss.broadcast(`small ${i}`)
        expected.push(`small ${i}`)
      }
      const got: string[] = []
      for (let i = 0; i < expected.length; i++) got.push(String(await client.next()))
      assert.deepEqual(got, expected)
      client.close()
    })
  })

  test('a deflated frame is built once per window size and reused', () => {
    const payload = toPayload(BIG)
    const frame15 = payload.deflatedFrame(15, 1024)
    assert.equal(payload.deflatedFrame(15, 1024), frame15)
    assert.notEqual(payload.deflatedFrame(10, 1024), frame15)
    assert.equal((frame15[0] as number) & 0x40, 0x40, 'RSV1 marks the frame compressed')
    const small = toPayload('tiny')
    assert.equal(small.deflatedFrame(15, 1024), small.frame, 'under the threshold: plain frame')
  })
})

describe("compression: 'dedicated' and 'disabled'", () => {
  test("'dedicated' keeps context takeover and still delivers every message intact", async () => {
    await withServer({ compression: 'dedicated' }, async (srv) => {
      const { client, extensions } = await open(srv, {})
      assert.match(extensions, /permessage-deflate/)
      assert.doesNotMatch(extensions, /server_no_context_takeover/)
      await new Promise((resolve) => setTimeout(resolve, 20))
      for (let i = 0; i < 5; i++) srv.wss.broadcast(`${i}${BIG}`)
      for (let i = 0; i < 5; i++) assert.equal(await client.next(), `${i}${BIG}`)
      client.close()
    })
  })

  test("'disabled' negotiates nothing even when the client offers deflate", async () => {
    await withServer({ compression: 'disabled' }, async (srv) => {
      const { client, extensions } = await open(srv, {})
      assert.equal(extensions, '')
      client.close()
    })
  })

  test('contradictory settings are refused naming compression', () => {
    const cases = [
      { compression: 'disabled', perMessageDeflate: true },
      { compression: 'shared', perMessageDeflate: { serverNoContextTakeover: false } },
      { compression: 'zip' },
    ] as const
    for (const options of cases) {
      assert.throws(() => createWebSocket(options as never), {
        code: 'ERR_INVALID_OPTION',
        message: /"compression"/,
      })
    }
  })
})
