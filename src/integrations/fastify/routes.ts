/**
 * `{ websocket: true }` routes: an upgrade that gets past Fastify's hooks to
 * the handler goes to roomcast with Fastify's params; plain HTTP gets 426.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { RoomcastServer } from '../../server/index.js'
import { heldUpgradeOf } from '../held-upgrade.js'
import type { WebSocketRouteHandler } from './types.js'

const UPGRADE_REQUIRED = 'This path only accepts WebSocket connections'

/** Fastify's params as roomcast's `conn.params`: a schema may have coerced them to numbers. */
function stringParams(params: unknown): Record<string, string> {
  const strings: Record<string, string> = {}
  if (typeof params !== 'object' || params === null) return strings
  for (const [name, value] of Object.entries(params)) strings[name] = String(value)
  return strings
}

/**
 * Makes a `{ websocket: true }` route's handler upgrade (an `onRoute` hook);
 * other routes are left as they are, and answer upgrades as Fastify would.
 * @throws {TypeError} for a WebSocket route on a method other than GET (and Fastify's HEAD twin).
 */
export function upgradeRoute(route: RouteOptions, wss: RoomcastServer): void {
  if (route.websocket !== true) return
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  const other = methods.find((method) => method !== 'GET' && method !== 'HEAD')
  if (other !== undefined) {
    throw new TypeError(
      `roomcast/fastify: a { websocket: true } route must be GET, not ${other} (${route.url})`,
    )
  }
  // The shorthand overload in types.ts gave this route a WebSocket handler.
  const handler = route.handler as unknown as WebSocketRouteHandler
  route.handler = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    const held = heldUpgradeOf(request.raw)
    if (held === undefined) {
      // RFC 7231 §6.5.15: 426 names the protocol to switch to.
      return reply
        .code(426)
        .header('upgrade', 'websocket')
        .header('connection', 'Upgrade')
        .type('text/plain; charset=utf-8')
        .send(UPGRADE_REQUIRED)
    }
    reply.hijack()
    const upgrade = held.take()
    // The client left while the hooks ran: nothing to answer.
    if (upgrade === undefined) return reply
    wss.handleUpgrade(request.raw, upgrade.socket, upgrade.head, {
      handler: (conn) => handler.call(this, conn, request),
      params: stringParams(request.params),
    })
    return reply
  }
}
