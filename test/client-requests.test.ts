/** Requests and pushes: replies by requestId, error codes, timeouts, closes, and push handlers. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ClientError, ClientErrorCode, RequestError } from '../src/client/index.ts'
import { manualClock } from './fixtures/client-clock.ts'
import type { FakeConnection } from './fixtures/client-fake-server.ts'
import { clientKit, nextEvent, record } from './fixtures/client-kit.ts'
import { queue } from './fixtures/client-queue.ts'

const kit = clientKit()

/** The next envelope the server got, parsed. */
async function nextEnvelope(conn: FakeConnection): Promise<Record<string, unknown>> {
  return JSON.parse(String(await conn.received.next()))
}

async function connected(options: Parameters<typeof kit.client>[1] = {}) {
  const server = await kit.server()
  const clock = manualClock()
  const client = kit.client(server.url(), { timers: clock.timers, ...options })
  const events = record(client, 'open', 'reconnecting', 'message', 'error')
  await nextEvent(events, 'open')
  const conn = await server.connections.next()
  return { server, clock, client, events, conn }
}

describe('request()', () => {
  test('sends { type, action, data, requestId } and resolves with the reply’s data', async () => {
    const { client, conn, events } = await connected()
    const reply = client.request('chat', 'send', { text: 'hi' })
    const envelope = await nextEnvelope(conn)
    assert.equal(typeof envelope.requestId, 'string')
    assert.deepEqual(envelope, {
      type: 'chat',
      action: 'send',
      data: { text: 'hi' },
      requestId: envelope.requestId,
    })
    conn.ws.send(
      JSON.stringify({
        type: 'chat',
        action: 'send',
        requestId: envelope.requestId,
        data: { id: 7 },
      }),
    )
    assert.deepEqual(await reply, { id: 7 })
    // A reply is the request's: it is not emitted as a message too.
    conn.ws.send('marker')
    assert.deepEqual(await nextEvent(events, 'message'), 'marker')
  })

  test('each request gets a fresh requestId; replies may come in any order', async () => {
    const { client, conn } = await connected()
    const a = client.request('t', 'a', 1)
    const b = client.request('t', 'b', 2)
    const first = await nextEnvelope(conn)
    const second = await nextEnvelope(conn)
    assert.notEqual(first.requestId, second.requestId)
    conn.ws.send(JSON.stringify({ type: 't', action: 'b', requestId: second.requestId, data: 'B' }))
    conn.ws.send(JSON.stringify({ type: 't', action: 'a', requestId: first.requestId, data: 'A' }))
    assert.deepEqual(await Promise.all([a, b]), ['A', 'B'])
  })

  test('an error reply rejects with a RequestError carrying code, message and details', async () => {
    const { client, conn } = await connected()
    const reply = client.request('chat', 'send', {})
    const { requestId } = await nextEnvelope(conn)
    conn.ws.send(
      JSON.stringify({
        type: 'error',
        action: 'send',
        requestId,
        error: { code: 'ERR_NOT_FOUND', message: 'No such room', details: { room: 'x' } },
      }),
    )
    const error = await reply.catch((e: unknown) => e)
    assert.ok(error instanceof RequestError)
    assert.equal(error.code, 'ERR_NOT_FOUND')
    assert.equal(error.message, 'No such room')
    assert.deepEqual(error.details, { room: 'x' })
  })

  test('no reply within timeout rejects with ERR_TIMEOUT; a late reply is then a plain message', async () => {
    const { client, conn, clock, events } = await connected()
    const reply = client.request('slow', 'op', null, { timeout: 250 })
    const { requestId } = await nextEnvelope(conn)
    assert.deepEqual(clock.pending(), [250])
    clock.fire(250)
    await assert.rejects(reply, { name: 'ClientError', code: ClientErrorCode.Timeout })
    const late = JSON.stringify({ type: 'slow', action: 'op', requestId, data: 1 })
    conn.ws.send(late)
    assert.equal(await nextEvent(events, 'message'), late)
  })

  test('close() rejects pending requests with ERR_CLOSED, and later requests too', async () => {
    const { client, conn } = await connected()
    const pending = assert.rejects(client.request('t', 'a', undefined), {
      code: ClientErrorCode.Closed,
    })
    await nextEnvelope(conn)
    await client.close()
    await pending
    await assert.rejects(client.request('t', 'a', undefined), { code: ClientErrorCode.Closed })
  })

  test('while disconnected a request waits in the buffer and is answered after reconnect', async () => {
    const { client, conn, clock, server, events } = await connected()
    conn.close(1012)
    await nextEvent(events, 'reconnecting')
    const reply = client.request('t', 'queued', 'x')
    clock.fire()
    const next = await server.connections.next()
    const { requestId } = await nextEnvelope(next)
    next.ws.send(JSON.stringify({ type: 't', action: 'queued', requestId, data: 'done' }))
    assert.equal(await reply, 'done')
  })

  test('a request dropped from a full buffer rejects with ERR_DROPPED; one that timed out is not sent', async () => {
    const { client, conn, clock, server, events } = await connected({ buffer: { size: 1 } })
    conn.close(1012)
    await nextEvent(events, 'reconnecting')
    const timedOut = client.request('t', 'first', 1, { timeout: 100 })
    clock.fire(100)
    await assert.rejects(timedOut, { code: ClientErrorCode.Timeout })
    const dropped = client.request('t', 'second', 2)
    client.send('newest')
    await assert.rejects(dropped, { code: ClientErrorCode.Dropped })
    clock.fire()
    const next = await server.connections.next()
    assert.equal(await next.received.next(), 'newest')
  })

  test('with buffer: false a request while disconnected rejects with ERR_NOT_OPEN', async () => {
    const { client, conn, events } = await connected({ buffer: false })
    conn.close(1012)
    await nextEvent(events, 'reconnecting')
    const error = await client.request('t', 'a', 1).catch((e: unknown) => e)
    assert.ok(error instanceof ClientError)
    assert.equal(error.code, ClientErrorCode.NotOpen)
  })

  test('a timeout that is not a positive number is refused synchronously', async () => {
    const { client } = await connected()
    assert.throws(() => client.request('t', 'a', 1, { timeout: 0 }), TypeError)
  })
})

describe('pushes', () => {
  test('a JSON push goes to its type + action handler and is emitted as a message too', async () => {
    const { client, conn, events } = await connected()
    const pushes = queue<[unknown, unknown]>('push')
    const remove = client.handle('chat', 'message', (data, message) => {
      pushes.push([data, message])
    })
    const push = { type: 'chat', action: 'message', data: { text: 'hello' } }
    conn.ws.send(JSON.stringify(push))
    assert.deepEqual(await pushes.next(), [{ text: 'hello' }, push])
    assert.equal(await nextEvent(events, 'message'), JSON.stringify(push))
    assert.throws(() => client.handle('chat', 'message', () => {}), TypeError)
    remove()
    client.handle('chat', 'message', () => {})
  })

  test('a push inside a msg frame is routed too', async () => {
    const { client, conn } = await connected()
    const pushes = queue<unknown>('push')
    client.handle('news', 'item', (data) => pushes.push(data))
    conn.msg([['news', 1, 'e']], JSON.stringify({ type: 'news', action: 'item', data: 42 }))
    assert.equal(await pushes.next(), 42)
  })

  test('a handler that throws or rejects is reported as an error event', async () => {
    const { client, conn, events } = await connected()
    client.handle('a', 'sync', () => {
      throw new Error('sync failure')
    })
    client.handle('a', 'async', async () => {
      throw new Error('async failure')
    })
    conn.ws.send(JSON.stringify({ type: 'a', action: 'sync' }))
    assert.equal(((await nextEvent(events, 'error')) as Error).message, 'sync failure')
    conn.ws.send(JSON.stringify({ type: 'a', action: 'async' }))
    assert.equal(((await nextEvent(events, 'error')) as Error).message, 'async failure')
  })
})
