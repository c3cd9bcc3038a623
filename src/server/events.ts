/** What the server reports beyond connections: its events and its health. */
import type { AdapterHealth, PresenceEvent } from '../adapter/index.js'

/** Server-level events (names never start with "/", so they cannot be routes). */
export interface ServerEvents {
  /** The adapter failed (e.g. Redis down); local delivery goes on. */
  error: (error: Error) => void
  /** A user came online in a room (first connection anywhere) or went fully offline there. */
  presence: (event: PresenceEvent) => void
}

/** What `wss.health()` reports. */
export interface ServerHealth extends AdapterHealth {
  connections: number
  closing: boolean
}
