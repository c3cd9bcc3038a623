// A chat room on Hono: middleware checks the name before the upgrade, an upgradeWebSocket() route upgrades.
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createWebSocket } from 'roomcast'
import { createNodeWebSocket } from 'roomcast/hono'

const app = new Hono()
const wss = createWebSocket()
const { upgradeWebSocket, injectWebSocket } = createNodeWebSocket({ app, wss })

// Runs for upgrades too: a handshake without a name is refused with 401.
app.use('/chat/*', async (c, next) => {
  if (!c.req.query('name')) return c.text('name required', 401)
  await next()
})

app.get('/rooms', (c) => c.json({ rooms: wss.getRooms() }))

app.get(
  '/chat/:room',
  upgradeWebSocket((c) => {
    const room = `chat:${c.req.param('room')}`
    const name = c.req.query('name')
    return {
      onOpen: (_event, conn) => conn.join(room),
      onMessage: (event, conn) => {
        conn.broadcast(room, `${name}: ${event.data}`)
      },
    }
  }),
)

const server = serve(
  { fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' },
  (info) => console.log(`hono chat on ws://127.0.0.1:${info.port}/chat/lobby?name=you`),
)
injectWebSocket(server)
