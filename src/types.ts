/** Public shapes shared across modules: the connection, its events, handlers, logger. */
import type { IncomingMessage } from 'node:http'
import type { SendStatus, UpgradeRequest } from './connection/index.js'
import type { ConnectionBroadcastOptions } from './fanout/index.js'

/** What `conn.send()` accepts. Objects go through `conn.json()`. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView

/**
 * Listener signatures for `conn.on(event, listener)`. A listener may be async:
 * a returned promise is awaited only to catch its rejection.
 */
export interface ConnectionEvents {
  /** A text frame arrives as a `string`, a binary frame as a `Buffer`. */
  message: (data: string | Buffer, isBinary: boolean) => void
  /** The connection closed; `code` 1006 means it dropped without a close frame. */
  close: (code: number, reason: string) => void
  error: (error: Error) => void
  ping: (data: Buffer) => void
  pong: (data: Buffer) => void
  /** Unsent data fell back to zero after passing half of `maxBackpressure`. */
  drain: () => void
}

export type ConnectionEvent = keyof ConnectionEvents

/** Who a connection belongs to, as `verifyClient` or a route's `authenticate` decided. */
export interface Identity {
  /** Becomes `conn.userId`; one user may have several connections. */
  userId?: string
  /** Copied into `conn.metadata` before any handler runs. */
  metadata?: Record<string, unknown>
}

/** Options of `conn.join()`. */
export interface JoinOptions {
  /**
   * Sends the room's last `history` kept messages first, oldest first, before
   * any live message of the room (needs the `history` option). @default 0
   */
  history?: number
  /**
   * Asks the server's `authorizeJoin` first; `join()` then returns a promise
   * of whether the connection joined. @default false
   */
  authorize?: boolean
}

/** Who a token says the connection is (seed 004's `client.user`). */
export interface AuthenticatedUser {
  /** The token's `sub`, as a string. */
  readonly userId: string
  /** The verified token's claims. */
  readonly payload: Readonly<Record<string, unknown>>
}

/** One WebSocket connection, as handlers, middleware and hooks see it. */
export interface WSConnection {
  /** Random UUID v4, unique per connection. */
  readonly id: string
  /** Path of the upgrade request, without the query string. */
  readonly url: string
  /** Values of the route's `:name` segments; `*` holds the rest of the path. */
  readonly params: Readonly<Record<string, string>>
  /** Query string of the upgrade request. */
  readonly query: URLSearchParams
  /**
   * The HTTP upgrade request's method, URL, headers and socket: a snapshot.
   * Middleware and route handlers get the live `IncomingMessage` as their
   * `request` argument.
   */
  readonly request: UpgradeRequest
  /** Negotiated subprotocol, `''` when none. */
  readonly protocol: string
  readonly remoteAddress: string | undefined
  /** `true` until the connection starts closing. */
  readonly isOpen: boolean
  /** `false` from a heartbeat ping until its pong arrives. */
  readonly isAlive: boolean
  /** Bytes queued for this connection but not yet handed to the kernel. */
  readonly bufferedAmount: number
  /** Time (ms since epoch) of the last pong, or of the connection's opening. */
  readonly lastPong: number
  /** Application data attached to the connection; roomcast never reads it. */
  metadata: Record<string, unknown>
  /** The user the token, `verifyClient` or `authenticate` identified, if any. */
  readonly userId: string | undefined
  /**
   * With token `auth`: the token's user and claims, kept current by refreshes.
   * Assignable (seed 001's middleware sets `socket.user`): an assigned value
   * replaces the token's from then on.
   */
  user: AuthenticatedUser | undefined
  /**
   * `true` when a roomcast client reconnected within `recovery.maxDisconnection`
   * and got its rooms, `userId`, `metadata` and every missed message of its
   * history rooms back: skip re-joining. Always `false` for plain clients.
   */
  readonly recovered: boolean
  /** Whether this side closed or terminated the connection (else the client or the network did). */
  readonly closedByServer: boolean
  /** Aborted when the connection closes, so long async work can stop. */
  readonly signal: AbortSignal

  /**
   * Sends a text (`string`) or binary message.
   * @returns `false` when the connection is no longer open (nothing is sent).
   * @throws {TypeError} `ERR_INVALID_PAYLOAD` for any other type; use `json()` for objects.
   */
  send(data: SendData): boolean
  /** Sends `JSON.stringify(value)` as a text message; same return as `send()`. */
  json(value: unknown): boolean
  /**
   * `send()` that says what happened: `'sent'`, `'buffered'` (queued past
   * half of `maxBackpressure`: slow down), `'dropped'` or `'closed'`.
   */
  trySend(data: SendData): SendStatus
  /** `json()` that returns a {@link SendStatus}. */
  tryJson(value: unknown): SendStatus
  /**
   * Starts the closing handshake. Reasons are cut to 123 UTF-8 bytes.
   * @default code 1000
   * @throws {RoomcastError} `ERR_INVALID_CLOSE_CODE` for 1005, 1006, 1015 or out-of-range codes.
   */
  close(code?: number, reason?: string): void
  /** Destroys the socket at once, without a closing handshake. */
  terminate(): void
  /** Sends a pong; for routes with `onPing`, which answer pings themselves. */
  pong(data?: SendData): void

  on<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this
  once<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this
  off<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this
  /** Alias of `on('message', listener)`. */
  onMessage(listener: ConnectionEvents['message']): this
  /** Alias of `on('close', listener)`. */
  onClose(listener: ConnectionEvents['close']): this

  /**
   * Joins a room; joining a room already joined does nothing.
   * @throws {RoomcastError} `ERR_INVALID_ROOM` for an empty or over-256-character name.
   * @throws {MaxRoomsExceededError} past `maxRoomsPerConnection`.
   */
  join(room: string, options?: JoinOptions & { authorize?: false }): void
  /** Joins only if the server's `authorizeJoin` allows it. @returns whether it joined. */
  join(room: string, options: JoinOptions & { authorize: true }): Promise<boolean>
  /**
   * Whether the server's `authorizeJoin` lets this connection join `room`:
   * `true` without one, a promise when it is async; a throw is `false`.
   */
  mayJoin(room: string): boolean | Promise<boolean>
  leave(room: string): void
  /** Alias of `join()` (seed 002). */
  joinRoom(room: string): void
  /** Alias of `leave()` (seed 002). */
  leaveRoom(room: string): void
  leaveAll(): void
  getRooms(): string[]
  /** Sends `data` to the room's other members (seed 000). @returns how many received it. */
  broadcast(room: string, data: SendData): number
  /**
   * Sends `data` (objects as JSON) to every connection, or to `room`/`rooms`,
   * without the sender unless `includeSelf` (seed 002).
   * @throws {TypeError} when the arguments fit neither form.
   */
  broadcast(data: unknown, options?: ConnectionBroadcastOptions): number
  /** Sends `JSON.stringify(value)` to the room's other members. */
  broadcastJson(room: string, value: unknown): number
  /** Sends `data` (objects as JSON) to the members of every room this connection is in. */
  broadcastAllRooms(data: unknown, includeSelf: boolean): number
}

/** Handler registered with `wss.on(path, handler)`; may be async (messages wait for it). */
export type RouteHandler = (conn: WSConnection, request: IncomingMessage) => void

/** An upgrade a framework's router already matched: its handler and parameters replace roomcast's routes. */
export interface RoutedUpgrade {
  readonly handler: RouteHandler
  /** The framework's route parameters; they become `conn.params`. */
  readonly params?: Readonly<Record<string, string>>
}

/** Middleware registered with `wss.use()`, sync or async; call `next()` to continue the chain. */
export type Middleware = (
  conn: WSConnection,
  request: IncomingMessage,
  next: () => Promise<void>,
) => void

/** Where roomcast reports what it cannot hand to the application. `console` fits. */
export interface Logger {
  error(message: string, ...details: unknown[]): void
  warn(message: string, ...details: unknown[]): void
  /** Gets the `debug: true` lines when there is no `debug()`; with neither, `warn()` does. */
  info?(message: string, ...details: unknown[]): void
  /** With `debug: true`: each handshake, refusal (status and reason), join, leave and close. */
  debug?(message: string, ...details: unknown[]): void
}
