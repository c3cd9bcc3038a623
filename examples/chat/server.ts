// Runs the chat demo: `npm start`, then open http://localhost:3000 in two browser tabs.
import { withWebSocket } from 'roomcast'
import { createChat } from './chat.ts'

const port = Number(process.env.PORT ?? 3000)
const { wss, app } = createChat()
const server = await withWebSocket(app, wss, port)
console.log(`roomcast chat on http://localhost:${port}`)

const shutdown = async () => {
  await wss.close()
  server.close()
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
