/**
 * The Fastify plugin: every upgrade of `fastify.server` goes through Fastify's
 * router and hooks, and `{ websocket: true }` routes hand it to roomcast.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify'
import { ErrorCode, RoomcastError, toError } from '../../errors.js'
import { nearMiss, type WebSocketOptions } from '../../options/index.js'
import { createWebSocket, RoomcastServer } from '../../server/index.js'
import { heldUpgradeOf, holdUpgrade } from '../held-upgrade.js'
import { upgradeRoute } from './routes.js'

/** The plugin's options: the roomcast server to use, or options to create one. */
export type RoomcastPluginOptions =
  | {
      /** The server whose rooms, broadcasts and handshake checks the routes share. */
      wss: RoomcastServer
      options?: never
    }
  | {
      wss?: never
      /** Options for the server the plugin creates (`createWebSocket(options)`). */
      options?: WebSocketOptions
    }

const KNOWN = new Set(['wss', 'options'])
/** `register()`'s own options, which Fastify hands to every plugin. */
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

/** @throws {RoomcastError} `ERR_INVALID_OPTION` for a wrong or unknown option. */
function serverFrom(options: RoomcastPluginOptions): RoomcastServer {
  for (const key of Object.keys(options)) {
    if (KNOWN.has(key) || REGISTER_OPTIONS.has(key)) continue
    const near = nearMiss(key, KNOWN)
    const hint = near === undefined ? '' : `: did you mean "${near}"?`
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      `roomcast/fastify: Unknown option "${key}"${hint}`,
    )
  }
  const { wss } = options
  if (wss === undefined) return createWebSocket(options.options)
  if (!(wss instanceof RoomcastServer)) {
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      'roomcast/fastify: option "wss" must be a server from createWebSocket()',
    )
  }
  if (options.options !== undefined) {
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      'roomcast/fastify: pass "wss" or "options", not both',
    )
  }
  return wss
}

function roomcastFastify(
  fastify: FastifyInstance,
  options: RoomcastPluginOptions,
  done: (error?: Error) => void,
): void {
  let wss: RoomcastServer
  try {
    wss = serverFrom(options)
  } catch (error) {
    done(toError(error))
    return
  }
  fastify.decorate('wss', wss)
  fastify.decorateRequest('isWebSocket', {
    getter(this: FastifyRequest) {
      return heldUpgradeOf(this.raw) !== undefined
    },
  })
  fastify.addHook('onRoute', (route) => upgradeRoute(route, wss))
  const server = fastify.server
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Another listener's handshake (Vite's HMR): not Fastify's, not ours.
    if (wss.ignoresUpgrade(request)) return
    fastify.routing(request, holdUpgrade(request, socket, head).response)
  }
  server.on('upgrade', onUpgrade)
  // Before the http server closes, which waits for every WebSocket connection to end.
  fastify.addHook('preClose', async () => {
    server.off('upgrade', onUpgrade)
    await wss.close()
  })
  done()
}

/**
 * roomcast as a Fastify plugin. Declare WebSocket routes with Fastify's
 * router: `{ websocket: true }` routes get roomcast's connection and
 * Fastify's request (params, query, decorations). Every hook (`onRequest`,
 * `preValidation`, …) runs before the upgrade, and an answer there
 * (`reply.code(401).send()`) is the client's HTTP refusal; roomcast's own
 * checks (origin, auth, `maxConnections`) follow. Plain HTTP requests to
 * those routes get 426; an upgrade to any other route gets that route's
 * Fastify answer (404 where none). `fastify.close()` closes the roomcast
 * server (1001 to every connection). Register it before the routes
 * (`await fastify.register(...)`, or the routes in a later plugin): Fastify's
 * `onRoute` hooks only see routes added after them.
 * @throws {RoomcastError} (`register()` rejects) `ERR_INVALID_OPTION`.
 * @throws {TypeError} (`register()` rejects) for a `{ websocket: true }` route not on GET.
 * @example
 * await fastify.register(roomcast, { wss })
 * fastify.addHook('onRequest', async (request, reply) => {
 *   if (!request.headers.cookie) return reply.code(401).send()
 * })
 * fastify.get<{ Params: { room: string } }>('/chat/:room', { websocket: true }, (conn, request) => {
 *   const { room } = request.params
 *   conn.join(room)
 *   conn.on('message', (text) => conn.broadcast(room, text))
 * })
 */
export const roomcastPlugin: FastifyPluginCallback<RoomcastPluginOptions> = Object.assign(
  roomcastFastify,
  {
    // What fastify-plugin sets: the plugin's hooks and decorations reach the whole app.
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'roomcast',
    [Symbol.for('plugin-meta')]: { name: 'roomcast', fastify: '5.x' },
  },
)
