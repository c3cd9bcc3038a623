import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { after, before, describe, test } from 'node:test'
import { createWebSocket, RoomcastError, type WSConnection } from '../src/index.ts'
import { RouteTable, splitPath } from '../src/routes/patterns.ts'
import { connect, refusedStatus, type TestClient } from './helpers/client.ts'
import { recordingLogger, startServer, type TestServer } from './helpers/server.ts'
import { within } from './helpers/timeout.ts'

/** Builds a table from patterns (value = pattern) and returns a matcher over raw paths. */
function tableOf(patterns: string[]) {
  const table = new RouteTable<string>()
  for (const pattern of patterns) table.add(pattern, pattern)
  return (path: string) => {
    const segments = splitPath(path)
    assert.ok(segments, `splitPath(${path}) failed`)
    const match = table.match(segments)
    return match && { value: match.value, params: match.params }
  }
}

function assertRouteError(fn: () => unknown, code: string) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof RoomcastError, `expected a RoomcastError, got ${String(error)}`)
    assert.equal(error.code, code)
    return true
  })
}

describe('splitPath', () => {
  test('splits on "/" and drops empty segments, so trailing and doubled slashes do not count', () => {
    assert.deepEqual(splitPath('/'), [])
    assert.deepEqual(splitPath(''), [])
    assert.deepEqual(splitPath('/chat/lobby'), ['chat', 'lobby'])
    assert.deepEqual(splitPath('/chat/lobby/'), ['chat', 'lobby'])
    assert.deepEqual(splitPath('//chat//lobby//'), ['chat', 'lobby'])
  })

  test('percent-decodes each segment after splitting', () => {
    assert.deepEqual(splitPath('/chat/a%20b'), ['chat', 'a b'])
    assert.deepEqual(splitPath('/chat/caf%C3%A9'), ['chat', 'café'])
    // An encoded slash stays inside its segment.
    assert.deepEqual(splitPath('/files/a%2Fb/c'), ['files', 'a/b', 'c'])
  })

  test('returns undefined for malformed percent-encoding', () => {
    assert.equal(splitPath('/%'), undefined)
    assert.equal(splitPath('/chat/%zz'), undefined)
    assert.equal(splitPath('/chat/%E0%A4%A'), undefined)
    assert.equal(splitPath('/ok/%C3'), undefined)
  })
})

describe('RouteTable matching', () => {
  test('an exact route matches only its own path', () => {
    const match = tableOf(['/chat'])
    assert.deepEqual(match('/chat'), { value: '/chat', params: {} })
    assert.equal(match('/chat/x'), undefined)
    assert.equal(match('/'), undefined)
    assert.equal(match('/cha'), undefined)
    assert.equal(match('/Chat'), undefined)
  })

  test('"/" matches only the root path', () => {
    const match = tableOf(['/'])
    assert.deepEqual(match('/'), { value: '/', params: {} })
    assert.equal(match('/x'), undefined)
  })

  test('":name" segments capture one segment each', () => {
    const match = tableOf(['/users/:id/posts/:post'])
    assert.deepEqual(match('/users/42/posts/7'), {
      value: '/users/:id/posts/:post',
      params: { id: '42', post: '7' },
    })
    assert.equal(match('/users/42/posts'), undefined)
    assert.equal(match('/users/42/posts/7/8'), undefined)
    assert.equal(match('/users/42/comments/7'), undefined)
  })

  test('":name" captures the decoded segment', () => {
    const match = tableOf(['/chat/:room'])
    assert.deepEqual(match('/chat/a%20b'), { value: '/chat/:room', params: { room: 'a b' } })
    assert.deepEqual(match('/chat/a%2Fb'), { value: '/chat/:room', params: { room: 'a/b' } })
  })

  test('"*" captures the rest of the path, including an empty rest', () => {
    const match = tableOf(['/files/*'])
    assert.deepEqual(match('/files/a/b/c'), { value: '/files/*', params: { '*': 'a/b/c' } })
    assert.deepEqual(match('/files/a'), { value: '/files/*', params: { '*': 'a' } })
    assert.deepEqual(match('/files'), { value: '/files/*', params: { '*': '' } })
    assert.deepEqual(match('/files/'), { value: '/files/*', params: { '*': '' } })
    assert.equal(match('/other/a'), undefined)
  })

  test('a lone "*" matches every path, the root included', () => {
    const match = tableOf(['*'])
    assert.deepEqual(match('/'), { value: '*', params: { '*': '' } })
    assert.deepEqual(match('/a/b'), { value: '*', params: { '*': 'a/b' } })
  })

  test('params and "*" combine', () => {
    const match = tableOf(['/u/:id/*'])
    assert.deepEqual(match('/u/1/x/y'), { value: '/u/:id/*', params: { id: '1', '*': 'x/y' } })
    assert.deepEqual(match('/u/1'), { value: '/u/:id/*', params: { id: '1', '*': '' } })
  })

  test('a trailing slash in the pattern or the path does not matter', () => {
    const match = tableOf(['/a/', '/b'])
    assert.equal(match('/a')?.value, '/a/')
    assert.equal(match('/a/')?.value, '/a/')
    assert.equal(match('/b/')?.value, '/b')
  })

  const precedencePatterns = ['*', '/a/*', '/a/:x', '/a/b', '/a', '/:x/b']
  const orders = [
    precedencePatterns,
    [...precedencePatterns].reverse(),
    ['/a/:x', '*', '/a/b', '/:x/b', '/a', '/a/*'],
  ]
  for (const order of orders) {
    test(`static > :param > * whatever the registration order (${order.join(' ')})`, () => {
      const match = tableOf(order)
      assert.deepEqual(match('/a/b'), { value: '/a/b', params: {} })
      assert.deepEqual(match('/a/c'), { value: '/a/:x', params: { x: 'c' } })
      assert.deepEqual(match('/a/c/d'), { value: '/a/*', params: { '*': 'c/d' } })
      // A route that ends where the path ends beats a "*" that would match nothing.
      assert.deepEqual(match('/a'), { value: '/a', params: {} })
      // The first differing segment decides: static "a" beats ":x".
      assert.deepEqual(match('/z/b'), { value: '/:x/b', params: { x: 'z' } })
      assert.deepEqual(match('/z/c'), { value: '*', params: { '*': 'z/c' } })
      assert.deepEqual(match('/'), { value: '*', params: { '*': '' } })
    })
  }

  test('size counts registered routes', () => {
    const table = new RouteTable<number>()
    assert.equal(table.size, 0)
    table.add('/a', 1)
    table.add('/a/:b', 2)
    assert.equal(table.size, 2)
  })
})

describe('RouteTable errors', () => {
  test('registering the same pattern twice throws ERR_DUPLICATE_ROUTE and keeps the first', () => {
    const table = new RouteTable<number>()
    table.add('/a', 1)
    assertRouteError(() => table.add('/a', 2), 'ERR_DUPLICATE_ROUTE')
    assert.equal(table.size, 1)
    assert.equal(table.match(['a'])?.value, 1)
  })

  test('patterns that differ only in parameter names are duplicates', () => {
    const table = new RouteTable<number>()
    table.add('/a/:x', 1)
    assertRouteError(() => table.add('/a/:y', 2), 'ERR_DUPLICATE_ROUTE')
    assert.deepEqual(table.match(['a', 'v'])?.params, { x: 'v' })
  })

  test('"/a" and "/a/", "*" and "/*" are duplicates', () => {
    const table = new RouteTable<number>()
    table.add('/a', 1)
    assertRouteError(() => table.add('/a/', 2), 'ERR_DUPLICATE_ROUTE')
    table.add('*', 3)
    assertRouteError(() => table.add('/*', 4), 'ERR_DUPLICATE_ROUTE')
    assert.equal(table.size, 2)
  })

  test('a static segment and a param in the same place are not duplicates', () => {
    const table = new RouteTable<number>()
    table.add('/a/b', 1)
    table.add('/a/:b', 2)
    table.add('/a/*', 3)
    assert.equal(table.size, 3)
  })

  const invalid: Array<[string, unknown]> = [
    ['empty string', ''],
    ['no leading slash', 'chat'],
    ['"*" not last', '/a/*/b'],
    ['"*" not last (bare)', '/*/x'],
    ['empty parameter name', '/a/:'],
    ['parameter name starting with a digit', '/a/:1x'],
    ['parameter name with a dash', '/a/:x-y'],
    ['a number', 42],
    ['undefined', undefined],
  ]
  for (const [label, pattern] of invalid) {
    test(`rejects a bad pattern (${label}) with ERR_INVALID_ROUTE`, () => {
      const table = new RouteTable<number>()
      assertRouteError(() => table.add(pattern as string, 1), 'ERR_INVALID_ROUTE')
      assert.equal(table.size, 0)
    })
  }

  test('wss.on() throws the same codes', () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    wss.on('/a/:x', () => {})
    assertRouteError(() => wss.on('/a/:y', () => {}), 'ERR_DUPLICATE_ROUTE')
    assertRouteError(() => wss.on('a', () => {}), 'ERR_INVALID_ROUTE')
    assertRouteError(() => wss.on('/*/a', () => {}), 'ERR_INVALID_ROUTE')
  })
})

/** What a route handler saw, sent back to the client as JSON. */
interface Seen {
  route: string
  params: Record<string, string>
  url: string
  query: Array<[string, string]>
  requestUrl: string | undefined
  /** `conn.request` is the handler's request, snapshotted: its url, headers and socket. */
  snapshotOfRequest: boolean
}

async function seenBy(client: TestClient): Promise<Seen> {
  const message = await client.next()
  client.close()
  await within(client.closed, 2000, 'client close')
  return JSON.parse(String(message)) as Seen
}

describe('routes through real sockets', () => {
  let srv: TestServer
  const unrouted: WSConnection[] = []

  before(async () => {
    const handler = (route: string) => (conn: WSConnection, request: IncomingMessage) => {
      const firstRead = conn.request
      const seen: Seen = {
        route,
        params: { ...conn.params },
        url: conn.url,
        query: [...conn.query],
        requestUrl: request.url,
        snapshotOfRequest:
          conn.request !== request &&
          conn.request.method === request.method &&
          conn.request.url === request.url &&
          conn.request.httpVersion === request.httpVersion &&
          conn.request.headers === request.headers &&
          conn.request.socket === request.socket &&
          // Made on first read, then the same object.
          conn.request === firstRead,
      }
      conn.json(seen)
    }
    srv = await startServer(
      {
        path: ['/plain', '/p/:id'],
        onConnection: (conn) => {
          if (conn.url.startsWith('/p')) unrouted.push(conn)
        },
      },
      (wss) => {
        wss.on('/files/*', handler('files'))
        wss.on('/chat/:room', handler('room'))
        wss.on('/chat/lobby', handler('lobby'))
        wss.on('/users/:id/posts/:post', handler('post'))
      },
    )
  })
  after(() => srv.close())

  test('each path reaches its own handler with its params', async () => {
    assert.deepEqual(await seenBy(await connect(srv.url('/chat/lobby'))), {
      route: 'lobby',
      params: {},
      url: '/chat/lobby',
      query: [],
      requestUrl: '/chat/lobby',
      snapshotOfRequest: true,
    })
    const room = await seenBy(await connect(srv.url('/chat/kitchen')))
    assert.equal(room.route, 'room')
    assert.deepEqual(room.params, { room: 'kitchen' })
    const post = await seenBy(await connect(srv.url('/users/42/posts/7')))
    assert.equal(post.route, 'post')
    assert.deepEqual(post.params, { id: '42', post: '7' })
  })

  test('"*" routes get the rest of the path, empty when nothing follows', async () => {
    const deep = await seenBy(await connect(srv.url('/files/a/b/c.txt')))
    assert.equal(deep.route, 'files')
    assert.deepEqual(deep.params, { '*': 'a/b/c.txt' })
    const empty = await seenBy(await connect(srv.url('/files')))
    assert.equal(empty.route, 'files')
    assert.deepEqual(empty.params, { '*': '' })
  })

  test('conn.url is the path without the query; conn.query holds the query', async () => {
    const seen = await seenBy(await connect(srv.url('/chat/x?a=1&b=two%20words&a=3')))
    assert.equal(seen.route, 'room')
    assert.equal(seen.url, '/chat/x')
    assert.deepEqual(seen.params, { room: 'x' })
    assert.deepEqual(seen.query, [
      ['a', '1'],
      ['b', 'two words'],
      ['a', '3'],
    ])
    assert.equal(seen.requestUrl, '/chat/x?a=1&b=two%20words&a=3')
  })

  test('params are percent-decoded; conn.url keeps the path as sent', async () => {
    const seen = await seenBy(await connect(srv.url('/chat/caf%C3%A9%20bar')))
    assert.deepEqual(seen.params, { room: 'café bar' })
    assert.equal(seen.url, '/chat/caf%C3%A9%20bar')
  })

  test('`path` option entries are accepted without a handler, with params', async () => {
    const before = unrouted.length
    const plain = await connect(srv.url('/plain?q=1'))
    const withParam = await connect(srv.url('/p/7'))
    assert.equal(unrouted.length, before + 2)
    const [a, b] = unrouted.slice(before)
    assert.equal(a?.url, '/plain')
    assert.deepEqual(a?.params, {})
    assert.equal(a?.query.get('q'), '1')
    assert.equal(b?.url, '/p/7')
    assert.deepEqual(b?.params, { id: '7' })
    await plain.nothingWithin(30)
    plain.close()
    withParam.close()
    await within(Promise.all([plain.closed, withParam.closed]), 2000, 'clients close')
  })

  test('a `path` option replaces the default "/"; unknown paths get exactly 404', async () => {
    const rejectedBefore = srv.wss.getStats().handshakesRejected[404] ?? 0
    assert.equal(await refusedStatus(srv.url('/')), 404)
    assert.equal(await refusedStatus(srv.url('/nope')), 404)
    assert.equal(await refusedStatus(srv.url('/chat')), 404)
    assert.equal(await refusedStatus(srv.url('/chat/a/b')), 404)
    assert.equal(await refusedStatus(srv.url('/users/1/posts')), 404)
    assert.equal(srv.wss.getStats().handshakesRejected[404], rejectedBefore + 5)
  })

  test('a path with malformed percent-encoding is refused with 400', async () => {
    assert.equal(await refusedStatus(srv.url('/chat/%zz')), 400)
  })
})

describe('default path and path/route overlap', () => {
  test('with no options and no routes, "/" is accepted and anything else is 404', async () => {
    const srv = await startServer()
    try {
      const client = await connect(srv.url('/'))
      const withQuery = await connect(srv.url('/?x=1'))
      assert.equal(srv.wss.getConnectionCount(), 2)
      assert.equal(await refusedStatus(srv.url('/x')), 404)
      assert.deepEqual(srv.wss.getStats().handshakesRejected, { 404: 1 })
      client.close()
      withQuery.close()
      await within(Promise.all([client.closed, withQuery.closed]), 2000, 'clients close')
    } finally {
      await srv.close()
    }
  })

  test('a wss.on() route wins over a `path` entry that also matches', async () => {
    let handled = 0
    const accepted: string[] = []
    const srv = await startServer(
      { path: '*', onConnection: (conn) => void accepted.push(conn.url) },
      (wss) =>
        wss.on('/chat', (conn) => {
          handled++
          conn.send('handler')
        }),
    )
    try {
      const routed = await connect(srv.url('/chat'))
      assert.equal(await routed.next(), 'handler')
      const other = await connect(srv.url('/anything/else'))
      await other.nothingWithin(30)
      assert.equal(handled, 1)
      assert.deepEqual(accepted, ['/chat', '/anything/else'])
      routed.close()
      other.close()
      await within(Promise.all([routed.closed, other.closed]), 2000, 'clients close')
    } finally {
      await srv.close()
    }
  })
})
