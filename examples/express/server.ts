// A chat room on Express: Express middleware checks the name before the upgrade, a route upgrades.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { createWebSocket } from 'roomcast'
import { expressUpgrades, websocket } from 'roomcast/express'

const app = express()
const wss = createWebSocket()

// HTTP routes see `req.isWebSocket` and `req.wss`.
app.use(wss.upgrade())
app.get('/rooms', (_req, res) => {
  res.json({ rooms: wss.getRooms() })
})

// Runs for upgrades too: a handshake without a name is refused with 401.
app.use('/chat', (req, res, next) => {
  if (new URL(req.originalUrl, 'http://x').searchParams.has('name')) next()
  else res.status(401).send('name required')
})

app.get(
  '/chat/:room',
  websocket((conn) => {
    const room = `chat:${conn.params.room}`
    const name = conn.query.get('name')
    conn.join(room)
    conn.on('message', (text) => conn.broadcast(room, `${name}: ${text}`))
  }),
)

const server = createServer(app)
expressUpgrades(app, wss, server)
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`express chat on ws://127.0.0.1:${port}/chat/lobby?name=you`)
})
