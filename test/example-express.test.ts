/** examples/express runs as shipped: Express refuses a nameless handshake, the chat room relays. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assertChatExample } from './helpers/example-process.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'

const cleanups = cleanupsAfterEach()

test('examples/express: 401 without a name, messages relayed in the room, rooms over HTTP', async () => {
  const port = await assertChatExample('examples/express/server.ts', cleanups)
  const rooms = await fetch(`http://127.0.0.1:${port}/rooms`)
  assert.deepEqual(await rooms.json(), { rooms: ['chat:lobby'] })
})
