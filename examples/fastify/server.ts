// A chat room on Fastify: an onRequest hook checks the name before the upgrade, a route upgrades.
import Fastify from 'fastify'
import { createWebSocket } from 'roomcast'
import { roomcastPlugin } from 'roomcast/fastify'

const app = Fastify()
await app.register(roomcastPlugin, { wss: createWebSocket() })

// Runs for upgrades too: a handshake without a name is refused with 401.
app.addHook('onRequest', async (request, reply) => {
  const query = request.query as { name?: string }
  if (request.url.startsWith('/chat/') && !query.name) {
    return reply.code(401).send({ error: 'name required' })
  }
})

app.get('/rooms', async () => ({ rooms: app.wss.getRooms() }))

app.get<{ Params: { room: string }; Querystring: { name: string } }>(
  '/chat/:room',
  { websocket: true },
  (conn, request) => {
    const room = `chat:${request.params.room}`
    const { name } = request.query
    conn.join(room)
    conn.on('message', (text) => conn.broadcast(room, `${name}: ${text}`))
  },
)

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' })
console.log(`fastify chat on ${address.replace('http', 'ws')}/chat/lobby?name=you`)
