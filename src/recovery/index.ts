/** Delivery that outlives a connection: catch-ups, sessions, offline queues, the client's hello. */

export { CatchUp, type CatchUpFrom } from './catch-up.js'
export { type ClientHello, type ClientPositions, readHello } from './client-hello.js'
export {
  Durability,
  type DurableLink,
  type HistoryEntry,
  type RoomHistory,
} from './durability.js'
