/**
 * roomcast for Fastify 5: a plugin whose `{ websocket: true }` routes are
 * declared with Fastify's router, behind its hooks, over one roomcast server.
 */
export { type RoomcastPluginOptions, roomcastPlugin } from './integrations/fastify/plugin.js'
export type { WebSocketRouteHandler } from './integrations/fastify/types.js'
