/** maxFragments: how many frames one message may arrive in; past it 1008. */
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import type { WebSocketOptions } from '../src/index.ts'
import { connectInto, type TestClient } from './helpers/client.ts'
import { startServer, type TestServer } from './helpers/server.ts'
import { closeAll } from './helpers/teardown.ts'
import { within } from './helpers/timeout.ts'

const servers: TestServer[] = []
const clients: TestClient[] = []
after(() => closeAll({ clients, servers }))
const open = connectInto(clients)

/** An echo server answering with the length of each message it gets. */
async function lengthEcho(options: WebSocketOptions): Promise<TestServer> {
  const server = await startServer(options, (wss) =>
    wss.on('/', (conn) => conn.on('message', (data) => conn.send(String(data.length)))),
  )
  servers.push(server)
  return server
}

/** Sends `total` bytes as one binary message in frames of `size` bytes. */
function sendFragmented(client: TestClient, total: number, size: number): void {
  const chunk = Buffer.alloc(size, 7)
  for (let sent = 0; sent < total; sent += size) {
    client.ws.send(chunk.subarray(0, Math.min(size, total - sent)), {
      binary: true,
      fin: sent + size >= total,
    })
  }
}

test('a message in maxFragments frames is delivered; one frame more closes with 1008', async () => {
  const server = await lengthEcho({ maxFragments: 4 })
  const fits = await open(server.url('/'))
  sendFragmented(fits, 40, 10)
  assert.equal(await fits.next(), '40')

  const over = await open(server.url('/'))
  sendFragmented(over, 50, 10)
  assert.equal((await within(over.closed, 3000, 'close')).code, 1008)
})

test("the default is ws's 16384 fragments: a 4 MiB message in 256-byte frames arrives, in 64-byte frames it is refused", async () => {
  const server = await lengthEcho({ maxPayload: 4 * 2 ** 20 })
  const ok = await open(server.url('/'))
  sendFragmented(ok, 4 * 2 ** 20, 256)
  assert.equal(await ok.next(5000), String(4 * 2 ** 20))

  const refused = await open(server.url('/'))
  sendFragmented(refused, 4 * 2 ** 20, 64)
  assert.equal((await within(refused.closed, 5000, 'close')).code, 1008)
})

test('maxFragments 65536 takes Autobahn 9.4.1: 4 MiB in 64-byte frames; 0 means no limit', async () => {
  for (const maxFragments of [65_536, 0]) {
    const server = await lengthEcho({ maxPayload: 4 * 2 ** 20, maxFragments })
    const client = await open(server.url('/'))
    sendFragmented(client, 4 * 2 ** 20, 64)
    assert.equal(await client.next(10_000), String(4 * 2 ** 20), `maxFragments ${maxFragments}`)
  }
})
