/**
 * `websocket(wss)`: Koa middleware giving every context `ctx.isWebSocket`,
 * `ctx.wss` and `ctx.ws()`, which upgrades the request (koa-easy-ws style).
 */
import type { DefaultContext, DefaultState, Middleware, ParameterizedContext } from 'koa'
import { RoomcastServer } from '../../server/index.js'
import type { WSConnection } from '../../types.js'
import { heldUpgradeOf } from '../held-upgrade.js'

declare module 'koa' {
  interface DefaultContext {
    /** `true` when the request asks for a WebSocket upgrade. */
    isWebSocket: boolean
    /** The roomcast server, for rooms, broadcasts and stats from HTTP routes. */
    wss: RoomcastServer
    /**
     * Upgrades the request; resolves with the connection once roomcast
     * accepted the handshake. Messages wait until the middleware after
     * `websocket()` settle: add listeners and return, rather than waiting
     * for the connection to end. Rejects when roomcast refused the handshake
     * (the client got that HTTP refusal) or the client left; `websocket()`
     * swallows that rejection.
     */
    ws(): Promise<WSConnection>
  }
}

type Context = ParameterizedContext<DefaultState, DefaultContext, unknown>

const REFUSED =
  'roomcast/koa: the WebSocket handshake did not complete (roomcast refused it, or the client left)'

/** @koa/router's `ctx.params` (strings), or none without a router. */
function paramsOf(ctx: Context): Record<string, string> {
  const params: unknown = ctx.params
  const strings: Record<string, string> = {}
  if (typeof params !== 'object' || params === null) return strings
  for (const [name, value] of Object.entries(params)) strings[name] = String(value)
  return strings
}

/** The upgrade one context may make. */
interface ContextUpgrade {
  /** `ctx.ws()`: upgrades once, resolving when roomcast's handler runs. */
  connect(): Promise<WSConnection>
  /** Set once the socket is roomcast's: what `connect()` rejects with if the handshake fails. */
  readonly refusal: Error | undefined
  /** The middleware after `websocket()` settled: roomcast may release the messages it held. */
  settled(): void
}

function upgrader(ctx: Context, wss: RoomcastServer): ContextUpgrade {
  let upgrading: Promise<WSConnection> | undefined
  let refusal: Error | undefined
  let downstreamSettled = () => {}
  // Handed to roomcast as the handler's promise, so messages wait for the Koa middleware.
  const downstream = new Promise<void>((resolve) => {
    downstreamSettled = resolve
  })
  const upgrade = () =>
    new Promise<WSConnection>((resolve, reject) => {
      const held = heldUpgradeOf(ctx.req)
      if (held === undefined) {
        const why = ctx.isWebSocket
          ? 'the upgrade did not come through koaUpgrades(app, server)'
          : 'this is not a WebSocket upgrade request (check ctx.isWebSocket)'
        reject(new TypeError(`roomcast/koa: ctx.ws(): ${why}`))
        return
      }
      // The socket is roomcast's from here: Koa must not answer on it.
      ctx.respond = false
      const failed = new Error(REFUSED)
      refusal = failed
      const taken = held.take()
      if (taken === undefined) return reject(failed)
      const onClose = () => reject(failed)
      taken.socket.once('close', onClose)
      wss.handleUpgrade(ctx.req, taken.socket, taken.head, {
        handler: (conn) => {
          taken.socket.off('close', onClose)
          resolve(conn)
          return downstream
        },
        params: paramsOf(ctx),
      })
    })
  return {
    connect: () => {
      upgrading ??= upgrade()
      return upgrading
    },
    get refusal() {
      return refusal
    },
    settled: () => downstreamSettled(),
  }
}

/**
 * Koa middleware: `ctx.isWebSocket`, `ctx.wss` and `ctx.ws()` for the
 * middleware after it, including @koa/router routes (`ctx.params` become
 * `conn.params`). Put it first, and send the server's upgrades through the
 * app with `koaUpgrades(app, server)`. Middleware before `ctx.ws()` may
 * refuse (`ctx.status = 401`): that is the client's HTTP answer, and
 * roomcast's own checks (origin, auth, `maxConnections`) follow. Once the
 * socket is roomcast's, an error thrown downstream goes to Koa's `'error'`
 * event, as Koa has no response left to send.
 * @throws {TypeError} when `wss` is not a server from `createWebSocket()`.
 * @example
 * app.use(websocket(wss))
 * router.get('/chat/:room', async (ctx) => {
 *   if (!ctx.isWebSocket) {
 *     ctx.status = 426
 *     return
 *   }
 *   const conn = await ctx.ws()
 *   conn.join(ctx.params.room)
 * })
 * app.use(router.routes())
 * koaUpgrades(app, app.listen(3000))
 */
export function websocket(wss: RoomcastServer): Middleware<DefaultState, DefaultContext, unknown> {
  if (!(wss instanceof RoomcastServer)) {
    throw new TypeError('roomcast/koa: websocket(wss) takes a server from createWebSocket()')
  }
  return async (ctx, next) => {
    const upgrade = upgrader(ctx, wss)
    ctx.isWebSocket = ctx.req.headers.upgrade?.toLowerCase() === 'websocket'
    ctx.wss = wss
    ctx.ws = upgrade.connect
    try {
      await next()
    } catch (error) {
      const refusal = upgrade.refusal
      if (refusal === undefined) throw error
      if (error !== refusal) ctx.app.emit('error', error, ctx)
    } finally {
      upgrade.settled()
    }
  }
}
