/** Connection startup: messages held until the handler settles, however middleware calls next. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { WSConnection } from '../src/index.ts'
import { connect } from './helpers/client.ts'
import { startServer } from './helpers/server.ts'
import { delay, within } from './helpers/timeout.ts'

describe('startup queue', () => {
  test('callback-style middleware calling next() from a timer loses no message', async () => {
    const received: string[] = []
    const srv = await startServer({}, (wss) => {
      wss.use((_conn, _req, next) => {
        setTimeout(next, 80)
      })
      wss.on('/', (conn) => {
        conn.on('message', (m) => {
          received.push(String(m))
          if (received.length === 3) conn.send('got 3')
        })
      })
    })
    try {
      const client = await connect(srv.url('/'))
      client.send('one')
      client.send('two')
      await delay(20)
      client.send('three')
      assert.equal(await client.next(), 'got 3')
      assert.deepEqual(received, ['one', 'two', 'three'])
      client.close()
    } finally {
      await srv.close()
    }
  })

  test('a middleware that stops the chain gets the held messages with the close', async () => {
    const events: string[] = []
    let resolveClosed: () => void = () => {}
    const closed = new Promise<void>((resolve) => {
      resolveClosed = resolve
    })
    const srv = await startServer({}, (wss) => {
      wss.use((conn) => {
        conn.on('message', (m) => events.push(`message:${m}`))
        conn.on('close', (code, reason) => {
          events.push(`close:${code}:${reason}`)
          resolveClosed()
        })
      })
      wss.on('/', () => assert.fail('the handler must not run'))
    })
    try {
      const client = await connect(srv.url('/'))
      client.send('a')
      client.send('b')
      await delay(30)
      assert.deepEqual(events, [], 'held while the connection is open')
      client.close(4002, 'done')
      await within(closed, 2000, 'close listener')
      assert.deepEqual(events, ['message:a', 'message:b', 'close:4002:done'])
    } finally {
      await srv.close()
    }
  })

  test('pings are not held and do not count against maxQueuedBytes', async () => {
    const pings: number[] = []
    const srv = await startServer({ maxQueuedBytes: 100 }, (wss) => {
      wss.use((conn, _req, next) => {
        conn.on('ping', (data) => pings.push(data.length))
        setTimeout(next, 150)
      })
      wss.on('/', (conn) => conn.send('ready'))
    })
    try {
      const client = await connect(srv.url('/'))
      const pongs = new Promise<void>((resolve) => {
        let count = 0
        client.ws.on('pong', () => {
          if (++count === 20) resolve()
        })
      })
      for (let i = 0; i < 20; i++) client.ws.ping(Buffer.alloc(100))
      await within(pongs, 2000, '20 pongs')
      assert.equal(pings.length, 20, 'ping listeners ran while the handler was still pending')
      assert.equal(await client.next(), 'ready')
      assert.equal(client.ws.readyState, client.ws.OPEN)
      client.close()
    } finally {
      await srv.close()
    }
  })
})

describe('rooms at close', () => {
  test('onClose and close listeners still see the rooms the connection was in', async () => {
    const seen: Record<string, string[]> = {}
    let conn: WSConnection | undefined
    let closed: () => void = () => {}
    const listenerRan = new Promise<void>((resolve) => {
      closed = resolve
    })
    const srv = await startServer(
      {
        onClose: (c) => {
          seen.hook = c.getRooms()
        },
      },
      (wss) => {
        wss.on('/', (c) => {
          conn = c
          c.join('a')
          c.join('b')
          c.on('close', () => {
            seen.listener = c.getRooms()
            seen.server = wss.getRooms()
            closed()
          })
          c.send('joined')
        })
      },
    )
    try {
      const client = await connect(srv.url('/'))
      assert.equal(await client.next(), 'joined')
      client.close()
      await within(listenerRan, 2000, 'close listener')
      assert.deepEqual(seen, { hook: ['a', 'b'], listener: ['a', 'b'], server: [] })
      conn?.join('c')
      assert.deepEqual(conn?.getRooms(), ['a', 'b'], 'joining after close changes nothing')
      assert.deepEqual(srv.wss.getRooms(), [])
    } finally {
      await srv.close()
    }
  })
})
