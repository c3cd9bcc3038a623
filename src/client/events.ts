/** What the client emits: its states, its events with their payloads, and message listeners. */
import type { MessageData } from './socket.js'

/**
 * `connecting` until the first open, `open` while connected, `reconnecting`
 * from a lost connection to the next open, `closed` for good.
 */
export type ClientState = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** Which rooms a message was published to: the rooms of its `msg` frame, none for a plain frame. */
export interface MessageMeta {
  readonly rooms: readonly string[]
}

/** A listener for application messages, of every room or one. */
export type MessageListener = (data: MessageData, meta: MessageMeta) => void

/** `connecting`: an attempt starts; 0 for the first connection, n for the n-th reconnect attempt. */
export interface ConnectingEvent {
  readonly attempt: number
}

/** `open`: the server's `session` frame came (or, from a server without the protocol, a first message). */
export interface OpenEvent {
  /** The server resumed the previous session: rooms and missed messages are back. */
  readonly recovered: boolean
  readonly sessionId: string | undefined
  /** The server's `conn.id`; the same as before after a recovery. */
  readonly connectionId: string | undefined
}

/** `recovered`: after `open`, when the reconnect resumed the session. */
export interface RecoveredEvent {
  readonly sessionId: string
  readonly connectionId: string
}

/** `reconnecting`: attempt `attempt` starts in `delay` ms. */
export interface ReconnectingEvent {
  readonly attempt: number
  readonly delay: number
}

/** `closed`: a connection (or attempt) ended; `final` when no reconnect follows. */
export interface ClosedEvent {
  readonly code: number
  readonly reason: string
  readonly final: boolean
}

/** The reserved event names and their listeners; every other name passed to `on()` is a room. */
export interface ClientEvents {
  connecting: (event: ConnectingEvent) => void
  open: (event: OpenEvent) => void
  reconnecting: (event: ReconnectingEvent) => void
  closed: (event: ClosedEvent) => void
  recovered: (event: RecoveredEvent) => void
  message: MessageListener
  error: (error: Error) => void
}

/** The names of {@link ClientEvents}, as a set. */
export const EVENT_NAMES: ReadonlySet<string> = new Set<keyof ClientEvents>([
  'connecting',
  'open',
  'reconnecting',
  'closed',
  'recovered',
  'message',
  'error',
])
