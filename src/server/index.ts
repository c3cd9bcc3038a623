/** createWebSocket(): lifecycle, upgrade pipeline, handshake, startup, sweep, stats. */

export { guardSocket } from './handshake.js'
export {
  type BroadcastExclude,
  createWebSocket,
  RoomcastServer,
  type ServerEvents,
  type ServerHealth,
} from './server.js'
export type { StatsCounter, WebSocketStats } from './stats.js'
export type { LivenessPolicy, SweepTarget } from './sweep.js'
