/** Seed 003's (verb's) shapes: a standalone server from wss.listen(), and behaviour objects as routes. */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { connect as netConnect } from 'node:net'
import { after, describe, test } from 'node:test'
import { createWebSocket, type RoomcastServer } from '../src/index.ts'
import { connect, refusedStatus } from './helpers/client.ts'
import { rawRequest, statusOf } from './helpers/raw-socket.ts'
import { recordingLogger } from './helpers/server.ts'
import { eventually, within } from './helpers/timeout.ts'

function portOf(server: { address(): unknown }): number {
  return (server.address() as AddressInfo).port
}

describe('wss.listen(port, host)', () => {
  const servers: RoomcastServer[] = []
  after(() => Promise.all(servers.map((wss) => wss.close())))

  function create(): RoomcastServer {
    const wss = createWebSocket({ logger: recordingLogger() })
    servers.push(wss)
    return wss
  }

  test('serves WebSocket routes on its own http server and answers plain HTTP with 426', async () => {
    const wss = create()
    wss.on('/echo', (conn) => conn.on('message', (text) => conn.send(`Echo: ${text}`)))
    const http = await within(wss.listen(0, '127.0.0.1'), 2000, 'listen')
    const port = portOf(http)
    const client = await connect(`ws://127.0.0.1:${port}/echo`)
    client.send('Hello Server!')
    assert.equal(await client.next(), 'Echo: Hello Server!')
    client.close()
    await within(client.closed)

    const response = await rawRequest(
      port,
      'GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    )
    assert.equal(statusOf(response), 426)
    assert.match(response, /\r\nupgrade: websocket\r\n/i)
    assert.equal(await refusedStatus(`ws://127.0.0.1:${port}/nowhere`), 404)
  })

  test('close() closes the http server it created', async () => {
    const wss = create()
    wss.on('/x', () => {})
    const http = await wss.listen(0, '127.0.0.1')
    const client = await connect(`ws://127.0.0.1:${portOf(http)}/x`)
    await within(wss.close(), 8000, 'close')
    assert.equal(http.listening, false)
    assert.equal((await within(client.closed)).code, 1001)
  })

  test('a listen error (port taken) rejects; a closed server refuses to listen', async () => {
    const first = create()
    const http = await first.listen(0, '127.0.0.1')
    const second = create()
    await assert.rejects(second.listen(portOf(http), '127.0.0.1'), { code: 'EADDRINUSE' })
    await second.close()
    await assert.rejects(second.listen(0, '127.0.0.1'), { code: 'ERR_SERVER_CLOSED' })
  })

  test('close() while listen() starts: listen rejects and leaves no server listening', async () => {
    const servers = () =>
      process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length
    const before = servers()
    const wss = create()
    const listening = wss.listen(0, '127.0.0.1')
    const closing = wss.close()
    await assert.rejects(listening, { code: 'ERR_SERVER_CLOSED' })
    await within(closing, 8000, 'close')
    // The handle leaves the active list a loop turn after its close callback.
    await eventually(() => servers() <= before, 'the http server listen() started is closed', 1000)
  })

  test('a client trickling its headers is cut off (tight header timeout)', async () => {
    const wss = create()
    const http = await wss.listen(0, '127.0.0.1')
    http.headersTimeout = 200
    const socket = netConnect(portOf(http), '127.0.0.1')
    socket.on('error', () => {})
    socket.write('GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    let response = ''
    socket.on('data', (chunk) => {
      response += chunk.toString('latin1')
    })
    await within(new Promise((resolve) => socket.on('close', resolve)), 3000, 'slowloris cut off')
    assert.equal(statusOf(response), 408)
  })
})

describe('behaviour objects: wss.on(path, { open, message, close, … })', () => {
  const servers: RoomcastServer[] = []
  after(() => Promise.all(servers.map((wss) => wss.close())))

  async function serve(setup: (wss: RoomcastServer) => void): Promise<number> {
    const wss = createWebSocket({ logger: recordingLogger() })
    servers.push(wss)
    setup(wss)
    return portOf(await wss.listen(0, '127.0.0.1'))
  }

  test("seed 003's basic server runs as written", async () => {
    const events: string[] = []
    const port = await serve((wss) =>
      wss.on('/', {
        message: (ws, message) => {
          events.push(`message ${message}`)
          ws.send(`Echo: ${message}`)
        },
        open: (ws) => {
          events.push('open')
          ws.send('Welcome to WebSocket server!')
        },
        close: (_ws, code, reason) => {
          events.push(`close ${code} ${reason}`)
        },
      }),
    )
    const client = await connect(`ws://127.0.0.1:${port}/`)
    assert.equal(await client.next(), 'Welcome to WebSocket server!')
    client.send('hi')
    assert.equal(await client.next(), 'Echo: hi')
    client.close(4000, 'bye')
    await within(client.closed)
    await eventually(() => events.length === 3, 'close handler')
    assert.deepEqual(events, ['open', 'message hi', 'close 4000 bye'])
  })

  test('ping, pong and error handlers receive their events; a binary message arrives as a Buffer', async () => {
    const seen: unknown[] = []
    const port = await serve((wss) =>
      wss.on('/all', {
        message: (_ws, message) => seen.push(message),
        ping: (_ws, data) => seen.push(`ping ${data}`),
        pong: (_ws, data) => seen.push(`pong ${data}`),
        error: (_ws, error) => seen.push(`error ${(error as { code?: string }).code}`),
      }),
    )
    const client = await connect(`ws://127.0.0.1:${port}/all`)
    client.ws.ping('p1')
    client.ws.pong('p2')
    client.send(Buffer.from([7]))
    await eventually(() => seen.length === 3, 'ping, pong, message')
    assert.deepEqual(seen, ['ping p1', 'pong p2', Buffer.from([7])])
    // Invalid UTF-8 in a text frame: ws closes with 1007 and the route's error handler hears of it.
    client.ws.send(Buffer.from([0xff, 0xfe]), { binary: false })
    assert.equal((await within(client.closed)).code, 1007)
    await eventually(() => seen.length === 4, 'error handler')
    assert.equal(seen[3], 'error WS_ERR_INVALID_UTF8')
  })

  test('an open() that throws closes the connection with 1011; a message() that throws leaves it open', async () => {
    const port = await serve((wss) => {
      wss.on('/bad-open', {
        open: () => {
          throw new Error('open failed')
        },
      })
      wss.on('/bad-message', {
        message: (ws) => {
          ws.send('before the throw')
          throw new Error('message failed')
        },
      })
    })
    const first = await connect(`ws://127.0.0.1:${port}/bad-open`)
    assert.equal((await within(first.closed)).code, 1011)
    const second = await connect(`ws://127.0.0.1:${port}/bad-message`)
    second.send('x')
    assert.equal(await second.next(), 'before the throw')
    second.send('y')
    assert.equal(await second.next(), 'before the throw')
    second.close()
    assert.equal((await within(second.closed)).code, 1005)
  })

  test('unknown keys and non-functions are refused when the route is registered', () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    servers.push(wss)
    assert.throws(() => wss.on('/a', { open: () => {}, onMessage: () => {} } as never), {
      code: 'ERR_INVALID_OPTION',
      message: /"onMessage"/,
    })
    assert.throws(() => wss.on('/b', { message: 'nope' } as never), {
      name: 'TypeError',
      message: /message must be a function/,
    })
  })
})
