/** What a connection is given: the server it reports to, its route's settings, who it belongs to. */

import type { JwtAuth, VerifiedToken } from '../auth/index.js'
import type { BroadcastTarget, Payload, WriteBatch } from '../fanout/index.js'
import type {
  BackpressurePolicy,
  Compression,
  ResolvedRateLimit,
  SessionSnapshot,
} from '../options/index.js'
import type { ClientHello } from '../recovery/index.js'
import type { LivenessPolicy, StatsCounter } from '../server/index.js'
import type { Identity, WSConnection } from '../types.js'
import type { Connection } from './connection.js'

/** What a connection needs from the server that owns it; membership lives there. */
export interface ConnectionHost {
  readonly stats: StatsCounter
  readonly maxQueuedBytes: number
  readonly maxBackpressure: number
  readonly backpressurePolicy: BackpressurePolicy
  readonly closeTimeout: number
  readonly writes: WriteBatch
  /** `history`: kept messages of the room to send first (seed 003's `join(room, { history })`). */
  join(conn: Connection, room: string, history?: number): void
  leave(conn: Connection, room: string): void
  leaveAll(conn: Connection): void
  roomsOf(conn: Connection): Iterable<string>
  fanOut(target: BroadcastTarget<WSConnection>, payload: Payload): number
  reportError(conn: Connection, error: Error): void
  /** A text message that is an in-band token refresh: answered, and not delivered. */
  refresh(conn: Connection, text: string): boolean
  /** The server's `authorizeJoin`, or `true` without one. */
  mayJoin(conn: Connection, room: string): boolean | Promise<boolean>
  connectionClosed(conn: Connection, code: number, reason: string): void
}

/** Settings every connection of one route shares. */
export interface ConnectionSettings {
  readonly compression: Compression
  /** Messages shorter than this many bytes are not compressed. */
  readonly deflateThreshold: number
  readonly liveness: LivenessPolicy
  readonly rateLimit: ResolvedRateLimit | undefined
  /** Seed 002's contract for route objects: `send()` sends plain objects and arrays as JSON. */
  readonly sendsValuesAsJson: boolean
  /** The route's token authentication; with it, refresh requests are taken from the messages. */
  readonly auth: JwtAuth | undefined
}

/** Where the upgrade request was routed, and who it belongs to. */
export interface ConnectionRoute {
  url: string
  params: Record<string, string>
  /** The route pattern that matched (`/chat/:room`); absent when a framework's router routed it. */
  pattern?: string | undefined
  /** The query string, without `?`; parsed only when `conn.query` is read. */
  search: string
  settings: ConnectionSettings
  identity: Identity | undefined
  /** The verified token the handshake carried, with `auth`. */
  token?: VerifiedToken | undefined
  /** A roomcast client's handshake: its session to resume and its positions. */
  hello?: ClientHello | undefined
  /** The session it resumes, found and authorized during the handshake. */
  session?: SessionSnapshot | undefined
}
