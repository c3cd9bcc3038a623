/** attach() warns of an http server left at Node's default timeouts; roomcast's own servers are tight. */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { test } from 'node:test'
import { createWebSocket } from '../src/index.ts'
import { recordingLogger } from './helpers/server.ts'

const WARNING =
  "roomcast: attached to an http server with Node's default timeouts (headersTimeout 60 s, " +
  'requestTimeout 300 s): a slowloris client that trickles its handshake holds a socket for ' +
  'minutes, and a few thousand of them exhaust the server. Create it with ' +
  'createServer({ headersTimeout: 10_000, requestTimeout: 60_000, connectionsCheckingInterval: 2_000 }), ' +
  'or let roomcast create it: wss.listen(port) or withWebSocket(app, wss, port).'

test("attach() to a server at Node's default timeouts warns once, naming the risk and the fix", async () => {
  const logger = recordingLogger()
  const wss = createWebSocket({ logger })
  wss.attach(createServer())
  assert.deepEqual(logger.entries, [{ level: 'warn', message: WARNING, details: [] }])
  await wss.close()
})

test('attach() to a server whose timeouts were set says nothing, whatever they are', async () => {
  const logger = recordingLogger()
  const wss = createWebSocket({ logger })
  wss.attach(createServer({ headersTimeout: 10_000, requestTimeout: 60_000 }))
  const chosen = createServer()
  chosen.headersTimeout = 60_000
  chosen.requestTimeout = 0
  wss.attach(chosen)
  assert.deepEqual(logger.entries, [])
  await wss.close()
})

test('wss.listen() makes a server with tight timeouts, and says nothing', async () => {
  const logger = recordingLogger()
  const wss = createWebSocket({ logger })
  const server = await wss.listen(0, '127.0.0.1')
  assert.equal(server.headersTimeout, 10_000)
  assert.equal(server.requestTimeout, 60_000)
  assert.deepEqual(logger.entries, [])
  await wss.close()
})
