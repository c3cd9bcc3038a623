/** wss.healthHandler(): readiness and liveness over HTTP, mounted on Express as it is. */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { test } from 'node:test'
import express from 'express'
import { ClusterAdapter, createInProcessBus, createWebSocket, ErrorCode } from '../src/index.ts'
import { closeHttp, listenOnLoopback, recordingLogger } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'

const cleanups = cleanupsAfterEach()

async function get(port: number, path: string) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`)
  const body = (await response.json()) as Record<string, unknown>
  return { status: response.status, type: response.headers.get('content-type'), body }
}

test('readiness is 200 when ok, 503 while the bus is down or the server closes; liveness stays 200', async () => {
  const bus = createInProcessBus()
  const wss = createWebSocket({
    adapter: new ClusterAdapter({ transport: bus.transport() }),
    logger: recordingLogger(),
  })
  wss.on('error', () => {})
  await wss.ready()
  const app = express()
  app.get('/ready', wss.healthHandler())
  app.get('/live', wss.healthHandler('liveness'))
  const http = createServer(app)
  const port = await listenOnLoopback(http)
  cleanups.push(() => closeHttp(http))

  const ok = await get(port, '/ready')
  assert.equal(ok.status, 200)
  assert.equal(ok.type, 'application/json; charset=utf-8')
  assert.deepEqual(ok.body, {
    status: 'ok',
    nodes: 1,
    publishFailures: 0,
    // The announcement and the presence sync of a node starting alone.
    publishes: 2,
    publishesPending: 0,
    publishesDropped: 0,
    connections: 0,
    closing: false,
  })

  bus.down('redis gone')
  const down = await get(port, '/ready')
  assert.equal(down.status, 503)
  assert.deepEqual(
    [down.body.status, down.body.reason],
    ['degraded', 'message bus down: redis gone'],
  )
  assert.equal((await get(port, '/live')).status, 200)

  bus.up()
  await wss.close()
  const closing = await get(port, '/ready')
  assert.deepEqual([closing.status, closing.body.closing], [503, true])
  assert.equal((await get(port, '/live')).status, 200)
})

test('an unknown probe is refused', () => {
  const wss = createWebSocket({ logger: recordingLogger() })
  assert.throws(() => wss.healthHandler('startup' as never), {
    code: ErrorCode.InvalidOption,
    message: `Invalid option "healthHandler.probe": expected 'readiness' or 'liveness', got "startup"`,
  })
})
