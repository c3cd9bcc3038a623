import assert from 'node:assert/strict'
import { after, afterEach, before, describe, test } from 'node:test'
import type { WebSocketOptions, WSConnection } from '../src/index.ts'
import { connect, handshakeOutcome, refusedStatus } from './helpers/client.ts'
import { rawRequest, rawUpgrade, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { within } from './helpers/timeout.ts'

interface ParsedResponse {
  statusLine: string
  status: number
  headers: Map<string, string>
  body: string
}

function parseResponse(text: string): ParsedResponse {
  const end = text.indexOf('\r\n\r\n')
  assert.notEqual(end, -1, `no end of headers in ${JSON.stringify(text)}`)
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n')
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return { statusLine, status: statusOf(text), headers, body: text.slice(end + 4) }
}

/** Asserts a complete HTTP/1.1 response: status line, Content-Length equal to the body. */
function assertCompleteResponse(text: string, status: number, reason: string): ParsedResponse {
  const response = parseResponse(text)
  assert.equal(response.statusLine, `HTTP/1.1 ${status} ${reason}`)
  assert.equal(response.status, status)
  assert.ok(response.body.length > 0, 'the response has a body')
  assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(response.body)))
  assert.equal(response.headers.get('connection'), 'close')
  return response
}

describe('404: no route', () => {
  test('an unknown path is refused with 404 and counted', async () => {
    const srv = await startServer({}, (wss) => wss.on('/chat', () => {}))
    try {
      assert.equal(await refusedStatus(srv.url('/nope')), 404)
      assert.equal(srv.wss.getConnectionCount(), 0)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 404: 1 })
    } finally {
      await srv.close()
    }
  })
})

describe('403: allowedOrigins', () => {
  const servers: TestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })
  const start = async (allowedOrigins: WebSocketOptions['allowedOrigins']) => {
    const srv = await startServer(allowedOrigins === undefined ? {} : { allowedOrigins })
    servers.push(srv)
    return srv
  }
  const from = (srv: TestServer, origin?: string) =>
    handshakeOutcome(srv.url('/'), origin === undefined ? {} : { origin })

  test('an exact origin is allowed, case-insensitively; others get 403', async () => {
    const srv = await start(['https://app.example.com'])
    assert.equal(await from(srv, 'https://app.example.com'), 101)
    assert.equal(await from(srv, 'HTTPS://App.Example.COM'), 101)
    assert.equal(await from(srv, 'https://other.example.com'), 403)
    assert.equal(await from(srv, 'http://app.example.com'), 403)
    assert.equal(await from(srv, 'https://app.example.com:8443'), 403)
    assert.equal(await from(srv, 'https://app.example.com.evil.com'), 403)
    assert.deepEqual(srv.wss.getStats().handshakesRejected, { 403: 4 })
  })

  test('a single string is accepted in place of an array', async () => {
    const srv = await start('https://app.example.com')
    assert.equal(await from(srv, 'https://app.example.com'), 101)
    assert.equal(await from(srv, 'https://evil.com'), 403)
  })

  test('"https://*.example.com" matches subdomains only, on the default port', async () => {
    const srv = await start(['https://*.example.com'])
    assert.equal(await from(srv, 'https://sub.example.com'), 101)
    assert.equal(await from(srv, 'https://a-b.example.com'), 101)
    assert.equal(await from(srv, 'https://example.com'), 403)
    assert.equal(await from(srv, 'https://example.com.evil.com'), 403)
    assert.equal(await from(srv, 'https://sub.example.com.evil.com'), 403)
    assert.equal(await from(srv, 'https://evilexample.com'), 403)
    assert.equal(await from(srv, 'https://sub.example.com:8443'), 403)
    assert.equal(await from(srv, 'http://sub.example.com'), 403)
    assert.equal(await from(srv, 'https://evil.com/x.example.com'), 403)
    assert.deepEqual(srv.wss.getStats().handshakesRejected, { 403: 7 })
  })

  test('"http://localhost:*" matches any port, and nothing else', async () => {
    const srv = await start(['http://localhost:*'])
    assert.equal(await from(srv, 'http://localhost:3000'), 101)
    assert.equal(await from(srv, 'http://localhost:80'), 101)
    assert.equal(await from(srv, 'http://localhost:65535'), 101)
    assert.equal(await from(srv, 'https://localhost:3000'), 403)
    assert.equal(await from(srv, 'http://localhost.evil.com:3000'), 403)
    assert.equal(await from(srv, 'http://evil.com:3000'), 403)
  })

  test('a RegExp is tested against the Origin, also when it has the g flag', async () => {
    const srv = await start([/^https:\/\/(a|b)\.test$/g])
    assert.equal(await from(srv, 'https://a.test'), 101)
    // A stateful /g RegExp must not fail every second time.
    assert.equal(await from(srv, 'https://a.test'), 101)
    assert.equal(await from(srv, 'https://b.test'), 101)
    assert.equal(await from(srv, 'https://c.test'), 403)
    assert.equal(await from(srv, 'https://a.test.evil'), 403)
  })

  test('patterns of different kinds combine', async () => {
    const srv = await start(['https://exact.com', 'https://*.wild.com', /^https:\/\/re\.com$/])
    assert.equal(await from(srv, 'https://exact.com'), 101)
    assert.equal(await from(srv, 'https://x.wild.com'), 101)
    assert.equal(await from(srv, 'https://re.com'), 101)
    assert.equal(await from(srv, 'https://none.com'), 403)
  })

  test('an empty list allows every origin, and a missing Origin', async () => {
    for (const srv of [await start([]), await start(undefined)]) {
      assert.equal(await from(srv, 'https://anything.example'), 101)
      assert.equal(await from(srv, 'null'), 101)
      assert.equal(await from(srv), 101)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, {})
    }
  })

  test('a non-empty list rejects a missing Origin with 403', async () => {
    const srv = await start(['https://app.example.com'])
    assert.equal(await from(srv), 403)
    assert.equal(srv.wss.getConnectionCount(), 0)
    assert.deepEqual(srv.wss.getStats().handshakesRejected, { 403: 1 })
  })
})

describe('protocol-level refusals on raw sockets', () => {
  let srv: TestServer
  let connections = 0
  before(async () => {
    srv = await startServer(
      {
        onConnection: () => {
          connections++
        },
      },
      (wss) => wss.on('/ws', () => {}),
      (_req, res) =>
        res
          .writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '10' })
          .end('plain http'),
    )
  })
  after(() => srv.close())

  test('an unsupported Sec-WebSocket-Version gets 426 naming version 13', async () => {
    const text = await rawRequest(
      srv.port,
      upgradeRequest('/ws', { 'Sec-WebSocket-Version': '12' }),
      1000,
    )
    const response = assertCompleteResponse(text, 426, 'Upgrade Required')
    assert.equal(response.headers.get('sec-websocket-version'), '13')
  })

  test('a missing Sec-WebSocket-Version gets 426', async () => {
    const request = upgradeRequest('/ws', { 'Sec-WebSocket-Version': undefined })
    const text = await rawRequest(srv.port, request, 1000)
    assert.equal(assertCompleteResponse(text, 426, 'Upgrade Required').status, 426)
  })

  const badKeys: Array<[string, string | undefined]> = [
    ['too short', 'c2hvcnQ='],
    ['not base64', 'not a valid key at all!!'],
    ['missing', undefined],
  ]
  for (const [label, key] of badKeys) {
    test(`a Sec-WebSocket-Key that is ${label} gets 400`, async () => {
      const request = upgradeRequest('/ws', { 'Sec-WebSocket-Key': key })
      const text = await rawRequest(srv.port, request, 1000)
      assertCompleteResponse(text, 400, 'Bad Request')
    })
  }

  test('"Upgrade: foo" with "Connection: Upgrade" reaches roomcast and gets 400', async () => {
    const text = await rawRequest(srv.port, upgradeRequest('/ws', { Upgrade: 'foo' }), 1000)
    assertCompleteResponse(text, 400, 'Bad Request')
  })

  test('a plain GET without Upgrade never reaches the upgrade pipeline', async () => {
    const rejectedBefore = srv.wss.getStats().handshakesRejected
    const request = upgradeRequest('/ws', { Upgrade: undefined, Connection: 'close' })
    const text = await rawRequest(srv.port, request, 1000)
    assert.equal(statusOf(text), 200)
    assert.equal(parseResponse(text).body, 'plain http')
    assert.deepEqual(srv.wss.getStats().handshakesRejected, rejectedBefore)
  })

  test('an upgrade with POST gets 405 with "Allow: GET"', async () => {
    const request = upgradeRequest('/ws').replace(/^GET /, 'POST ')
    const text = await rawRequest(srv.port, request, 1000)
    const response = assertCompleteResponse(text, 405, 'Method Not Allowed')
    assert.equal(response.headers.get('allow'), 'GET')
  })

  test('a malformed Sec-WebSocket-Protocol (checked by ws) gets 400', async () => {
    const request = upgradeRequest('/ws', { 'Sec-WebSocket-Protocol': 'a,,b' })
    const text = await rawRequest(srv.port, request, 1000)
    assertCompleteResponse(text, 400, 'Bad Request')
  })

  test('a 404 on a raw socket is a complete response too', async () => {
    const text = await rawRequest(srv.port, upgradeRequest('/nope'), 1000)
    const response = assertCompleteResponse(text, 404, 'Not Found')
    assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8')
  })

  test('none of them opened a connection; each was counted by status', () => {
    assert.equal(connections, 0)
    assert.equal(srv.wss.getConnectionCount(), 0)
    assert.deepEqual(srv.wss.getStats().handshakesRejected, { 426: 2, 400: 5, 405: 1, 404: 1 })
  })

  test('a well-formed raw request is upgraded with 101', async () => {
    const { head, socket } = await rawUpgrade(srv.port, upgradeRequest('/ws'))
    try {
      assert.equal(head.split('\r\n')[0], 'HTTP/1.1 101 Switching Protocols')
      // RFC 6455 §1.3: the accept value for the RFC's sample key.
      assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=(\r\n|$)/)
    } finally {
      socket.destroy()
    }
  })
})

describe('subprotocol selection', () => {
  const servers: TestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })
  const start = async (options: WebSocketOptions) => {
    const opened: WSConnection[] = []
    const srv = await startServer({ ...options, onConnection: (conn) => void opened.push(conn) })
    servers.push(srv)
    return { srv, opened }
  }

  const cases: Array<[string, string[], string]> = [
    ['the server preference wins over the client order', ['v1', 'v2'], 'v2'],
    ['the only shared protocol is selected', ['v1'], 'v1'],
    ['a client offering one known and one unknown gets the known one', ['x', 'v1'], 'v1'],
  ]
  for (const [label, offered, selected] of cases) {
    test(`${label}: offers ${offered.join(',')} → ${selected}`, async () => {
      const { srv, opened } = await start({ subprotocols: ['v2', 'v1'] })
      const client = await connect(srv.url('/'), { protocols: offered })
      assert.equal(client.ws.protocol, selected)
      assert.equal(opened.length, 1)
      assert.equal(opened[0]?.protocol, selected)
      client.close()
      await within(client.closed, 2000, 'client close')
    })
  }

  test('no overlap: 101 without Sec-WebSocket-Protocol and conn.protocol is ""', async () => {
    const { srv, opened } = await start({ subprotocols: ['v2', 'v1'] })
    const request = upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'v3, v4' })
    const { head, socket } = await rawUpgrade(srv.port, request)
    try {
      assert.equal(head.split('\r\n')[0], 'HTTP/1.1 101 Switching Protocols')
      assert.doesNotMatch(head, /sec-websocket-protocol/i)
      assert.equal(opened.length, 1)
      assert.equal(opened[0]?.protocol, '')
    } finally {
      socket.destroy()
    }
  })

  test('without the subprotocols option no protocol is selected', async () => {
    const { srv, opened } = await start({})
    const request = upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'v1' })
    const { head, socket } = await rawUpgrade(srv.port, request)
    try {
      assert.equal(head.split('\r\n')[0], 'HTTP/1.1 101 Switching Protocols')
      assert.doesNotMatch(head, /sec-websocket-protocol/i)
    } finally {
      socket.destroy()
    }
    const client = await connect(srv.url('/'))
    assert.equal(client.ws.protocol, '')
    assert.equal(opened.length, 2)
    assert.equal(opened[0]?.protocol, '')
    assert.equal(opened[1]?.protocol, '')
    client.close()
    await within(client.closed, 2000, 'client close')
  })

  test('the selected protocol is echoed in the 101 response', async () => {
    const { srv } = await start({ subprotocols: ['v2', 'v1'] })
    const request = upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'v1, v2' })
    const { head, socket } = await rawUpgrade(srv.port, request)
    try {
      assert.match(head, /\r\nSec-WebSocket-Protocol: v2(\r\n|$)/)
    } finally {
      socket.destroy()
    }
  })
})

describe('getStats().handshakesRejected', () => {
  test('counts refusals by status exactly and ignores accepted handshakes', async () => {
    const srv = await startServer({ allowedOrigins: ['https://ok.test'] }, (wss) =>
      wss.on('/ws', () => {}),
    )
    try {
      assert.deepEqual(srv.wss.getStats().handshakesRejected, {})
      assert.equal(await handshakeOutcome(srv.url('/missing'), { origin: 'https://ok.test' }), 404)
      assert.equal(await handshakeOutcome(srv.url('/ws'), { origin: 'https://bad.test' }), 403)
      assert.equal(await handshakeOutcome(srv.url('/ws')), 403)
      assert.equal(await handshakeOutcome(srv.url('/ws'), { origin: 'https://ok.test' }), 101)
      const stats = srv.wss.getStats()
      assert.deepEqual(stats.handshakesRejected, { 404: 1, 403: 2 })
      assert.equal(stats.connectionsTotal, 1)
    } finally {
      await srv.close()
    }
  })
})
