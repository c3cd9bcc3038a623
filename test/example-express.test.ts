/** examples/express runs as shipped: Express refuses a nameless handshake, the chat room relays. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, handshakeOutcome } from './helpers/client.ts'
import { runExample } from './helpers/example-process.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'

const cleanups = cleanupsAfterEach()

test('examples/express: 401 without a name, messages relayed in the room, rooms over HTTP', async () => {
  const example = await runExample('examples/express/server.ts')
  cleanups.push(() => example.stop())
  const url = (query: string) => `ws://127.0.0.1:${example.port}/chat/lobby${query}`
  assert.equal(await handshakeOutcome(url('')), 401)
  const ann = await connect(url('?name=ann'))
  const bo = await connect(url('?name=bo'))
  cleanups.push(() => {
    ann.ws.terminate()
    bo.ws.terminate()
  })
  ann.send('hi')
  assert.equal(await bo.next(), 'ann: hi')
  const rooms = await fetch(`http://127.0.0.1:${example.port}/rooms`)
  assert.deepEqual(await rooms.json(), { rooms: ['chat:lobby'] })
})
