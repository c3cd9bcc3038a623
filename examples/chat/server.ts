// Runs the chat demo: `npm start`, then open http://localhost:3000 in two browser tabs.
// With REDIS_URL set, history and sessions live in Redis and survive a restart of this process.
import { type Adapter, withWebSocket } from 'roomcast'
import { createChat } from './chat.ts'

const port = Number(process.env.PORT ?? 3000)
const redis = process.env.REDIS_URL
// Imported only when asked for, so the demo runs without the redis package installed.
const adapter: Adapter | undefined = redis
  ? await (await import('roomcast/redis')).createRedisAdapter({ redis })
  : undefined
const { wss, app } = createChat(adapter === undefined ? {} : { adapter })
const server = await withWebSocket(app, wss, port)
console.log(`roomcast chat on http://localhost:${port}${redis ? ' (history in Redis)' : ''}`)

const shutdown = async () => {
  await wss.close()
  server.close()
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
