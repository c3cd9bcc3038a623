/** Limits: maxPayload, RFC 6455 protocol violations on raw sockets, permessage-deflate, close codes. */
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { after, describe, test } from 'node:test'
import WebSocket from 'ws'
import { RoomcastError, type WebSocketOptions, type WSConnection } from '../src/index.ts'
import { connect, connectInto, type TestClient } from './helpers/client.ts'
import { closeFrameFrom, frame, rawUpgrade, upgradeRequest } from './helpers/raw-socket.ts'
import { recordingLogger, startServer, type TestServer } from './helpers/server.ts'
import { closeAll } from './helpers/teardown.ts'
import { eventually, within } from './helpers/timeout.ts'

const servers: TestServer[] = []
const clients: TestClient[] = []
const sockets: Socket[] = []

after(() => closeAll({ clients, sockets, servers }))

/** An echo server on `/echo` that records onError and onClose. */
async function echoServer(options: WebSocketOptions = {}) {
  const errors: Error[] = []
  const received: Array<string | Buffer> = []
  const conns: WSConnection[] = []
  const logger = recordingLogger()
  const server = await startServer(
    { logger, onError: (_conn, error) => void errors.push(error), ...options },
    (wss) =>
      wss.on('/echo', (conn) => {
        conns.push(conn)
        conn.on('message', (data) => {
          received.push(data)
          conn.send(data)
        })
      }),
  )
  servers.push(server)
  return { server, errors, received, conns, logger }
}

const open = connectInto(clients)

describe('maxPayload', () => {
  test('a 101-byte message closes with 1009; a 100-byte one is delivered', async () => {
    const { server, errors, received } = await echoServer({ maxPayload: 100 })
    const ok = await open(server.url('/echo'))
    ok.send('a'.repeat(100))
    assert.equal(await ok.next(), 'a'.repeat(100))

    const big = await open(server.url('/echo'))
    big.send('b'.repeat(101))
    const seen = await within(big.closed, 2000, 'oversized closed')

    assert.equal(seen.code, 1009)
    assert.deepEqual(received, ['a'.repeat(100)])
    await eventually(() => errors.length > 0, 'onError', 1000)
    assert.equal((errors[0] as { code?: string }).code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
    assert.equal(ok.ws.readyState, WebSocket.OPEN)
  })
})

describe('raw-socket protocol violations keep their RFC 6455 close codes', () => {
  const cases = [
    {
      name: 'an unmasked client text frame → 1002',
      bytes: frame(0x1, Buffer.from('hi'), { mask: false }),
      closeCode: 1002,
      errorCode: 'WS_ERR_EXPECTED_MASK',
    },
    {
      name: 'a masked text frame with invalid UTF-8 → 1007',
      bytes: frame(0x1, Buffer.from([0xff, 0xfe])),
      closeCode: 1007,
      errorCode: 'WS_ERR_INVALID_UTF8',
    },
    {
      name: 'a fragmented ping (FIN=0 on opcode 0x9) → 1002',
      bytes: frame(0x9, Buffer.alloc(0), { fin: false }),
      closeCode: 1002,
      errorCode: 'WS_ERR_EXPECTED_FIN',
    },
  ]
  for (const { name, bytes, closeCode, errorCode } of cases) {
    test(name, async () => {
      const { server, errors, received, logger } = await echoServer()
      const { socket, head } = await rawUpgrade(server.port, upgradeRequest('/echo'), sockets)
      assert.equal(head.split('\r\n')[0], 'HTTP/1.1 101 Switching Protocols')
      await eventually(() => server.wss.getConnectionCount() === 1, 'server connection', 1000)

      const closing = closeFrameFrom(socket)
      socket.write(bytes)
      const { code } = await closing
      socket.destroy()

      assert.equal(code, closeCode)
      await eventually(() => errors.length > 0, 'onError', 1000)
      assert.equal(errors.length, 1)
      const error = errors[0] as Error & { code?: string }
      assert.ok(error instanceof Error)
      assert.ok(error.code?.startsWith('WS_ERR_'), `error code ${error.code}`)
      assert.equal(error.code, errorCode)
      assert.deepEqual(received, [])
      // onError handled it: nothing is left for the logger.
      assert.deepEqual(logger.entries, [])
      await eventually(() => server.wss.getConnectionCount() === 0, 'connection removed', 1000)

      // The server is still up and serving.
      const after = await open(server.url('/echo'))
      after.send('alive')
      assert.equal(await after.next(), 'alive')
    })
  }
})

describe('perMessageDeflate', () => {
  const text = 'roomcast '.repeat(1138) // 10 242 bytes, highly compressible

  test('true: negotiated, and a 10 KB message is compressed and round-trips both ways', async () => {
    const { server, received, conns } = await echoServer({ perMessageDeflate: true })
    const client = await connect(server.url('/echo'), { perMessageDeflate: true })
    try {
      const extensions = client.headers['sec-websocket-extensions'] ?? ''
      assert.match(extensions, /^permessage-deflate/)
      client.ws.send(text)
      assert.equal(await client.next(), text)
      assert.deepEqual(received, [text])
      const socket = (conns[0] as WSConnection).request.socket
      // Compressed on the wire in both directions: far fewer bytes than the text itself.
      assert.ok(socket.bytesRead < 2000, `server read ${socket.bytesRead} bytes`)
      assert.ok(socket.bytesWritten < 2000, `server wrote ${socket.bytesWritten} bytes`)
    } finally {
      client.ws.terminate()
    }
  })

  test('default (false): no extension in the 101, the message travels uncompressed', async () => {
    const { server, received, conns } = await echoServer()
    const client = await connect(server.url('/echo'), { perMessageDeflate: true })
    try {
      assert.equal(client.headers['sec-websocket-extensions'], undefined)
      client.ws.send(text)
      assert.equal(await client.next(), text)
      assert.deepEqual(received, [text])
      const socket = (conns[0] as WSConnection).request.socket
      assert.ok(socket.bytesRead > text.length, `server read ${socket.bytesRead} bytes`)
    } finally {
      client.ws.terminate()
    }
  })

  test('object form { threshold: 0, serverNoContextTakeover: true } is negotiated', async () => {
    const { server, received } = await echoServer({
      perMessageDeflate: { threshold: 0, serverNoContextTakeover: true },
    })
    const client = await connect(server.url('/echo'), { perMessageDeflate: true })
    try {
      const extensions = client.headers['sec-websocket-extensions'] ?? ''
      assert.match(extensions, /^permessage-deflate/)
      assert.match(extensions, /server_no_context_takeover/)
      client.ws.send('tiny')
      assert.equal(await client.next(), 'tiny')
      client.ws.send(text)
      assert.equal(await client.next(), text)
      assert.deepEqual(received, ['tiny', text])
    } finally {
      client.ws.terminate()
    }
  })
})

describe('close codes that must not be sent', () => {
  test('conn.close(1005 | 1006 | 1015) throws ERR_INVALID_CLOSE_CODE and the connection stays open', async () => {
    const { server, conns } = await echoServer()
    const client = await open(server.url('/echo'))
    await eventually(() => conns.length === 1, 'server connection', 1000)
    const conn = conns[0] as WSConnection
    for (const code of [1005, 1006, 1015]) {
      assert.throws(
        () => conn.close(code),
        (error: unknown) =>
          error instanceof RoomcastError &&
          error.code === 'ERR_INVALID_CLOSE_CODE' &&
          error.message.includes(String(code)),
      )
    }
    assert.equal(conn.isOpen, true)
    client.send('still open')
    assert.equal(await client.next(), 'still open')
  })

  test('a server-initiated close reason over 123 bytes arrives truncated to 123 bytes', async () => {
    const { server, conns } = await echoServer()
    const ascii = await open(server.url('/echo'))
    const multibyte = await open(server.url('/echo'))
    await eventually(() => conns.length === 2, 'server connections', 1000)
    ;(conns[0] as WSConnection).close(4000, 'x'.repeat(200))
    ;(conns[1] as WSConnection).close(4001, 'é'.repeat(100))

    assert.deepEqual(await within(ascii.closed, 2000, 'ascii closed'), {
      code: 4000,
      reason: 'x'.repeat(123),
    })
    // 2-byte characters: 61 of them (122 bytes); a character is never split.
    assert.deepEqual(await within(multibyte.closed, 2000, 'multibyte closed'), {
      code: 4001,
      reason: 'é'.repeat(61),
    })
  })
})
