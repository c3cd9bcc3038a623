import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from './helpers/client.ts'
import { startServer } from './helpers/server.ts'
import { delay } from './helpers/timeout.ts'

test('echo, rooms, broadcast, middleware queueing', async () => {
  const srv = await startServer({}, (wss) => {
    wss.use(async (_conn, _req, next) => {
      await delay(50)
      await next()
    })
    wss.on('/chat/:room', async (conn) => {
      await delay(20)
      conn.join(conn.params.room as string)
      conn.on('message', (m) => {
        conn.broadcast(conn.params.room as string, `${m}`)
        conn.send(`echo:${m}`)
      })
    })
  })
  const a = await connect(srv.url('/chat/x'))
  a.send('early')
  assert.equal(await a.next(), 'echo:early')
  const b = await connect(srv.url('/chat/x?z=1'))
  await delay(100)
  a.send('hi')
  assert.equal(await a.next(), 'echo:hi')
  assert.equal(await b.next(), 'hi')
  assert.deepEqual(srv.wss.getRooms(), ['x'])
  a.close()
  b.close()
  await srv.close()
})
