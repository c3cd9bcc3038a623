// A chat room on Koa: middleware checks the name before the upgrade, a @koa/router route upgrades.
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import Koa from 'koa'
import { createWebSocket } from 'roomcast'
import { koaUpgrades, websocket } from 'roomcast/koa'

const app = new Koa()
const router = new Router()

// ctx.isWebSocket, ctx.wss and ctx.ws() for everything after it.
app.use(websocket(createWebSocket()))

// Runs for upgrades too: a handshake without a name is refused with 401.
app.use(async (ctx, next) => {
  if (ctx.path.startsWith('/chat/') && !ctx.query.name) {
    ctx.status = 401
    ctx.body = 'name required'
    return
  }
  await next()
})

router.get('/rooms', (ctx) => {
  ctx.body = { rooms: ctx.wss.getRooms() }
})

router.get('/chat/:room', async (ctx) => {
  if (!ctx.isWebSocket) {
    ctx.status = 426
    return
  }
  const room = `chat:${ctx.params.room}`
  const name = String(ctx.query.name)
  const conn = await ctx.ws()
  conn.join(room)
  conn.on('message', (text) => conn.broadcast(room, `${name}: ${text}`))
})

app.use(router.routes())

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  console.log(`koa chat on ws://127.0.0.1:${port}/chat/lobby?name=you`)
})
koaUpgrades(app, server)
