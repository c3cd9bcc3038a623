/** The connection object: sending, closing, events and rooms, as handlers see it. */
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import type { TokenGrant } from '../auth/index.js'
import { CloseCode, isSendableCloseCode, truncateCloseReason } from '../close-codes.js'
import { ErrorCode, RoomcastError, toError } from '../errors.js'
import {
  allRoomsBroadcast,
  type ConnectionBroadcastOptions,
  type ControlHeader,
  connectionBroadcast,
  controlFrame,
  Payload,
  toAnyPayload,
  toJsonPayload,
  toPayload,
} from '../fanout/index.js'
import { isThenable } from '../hooks.js'
import { errorReply, TokenBucket } from '../message/index.js'
import { assertKnownKeys, count, keySet } from '../options/index.js'
import type { DurableLink } from '../recovery/index.js'
import { assertRoomName } from '../rooms.js'
import type { LivenessPolicy, SweepTarget } from '../server/index.js'
import type {
  AuthenticatedUser,
  ConnectionEvent,
  ConnectionEvents,
  JoinOptions,
  SendData,
  WSConnection,
} from '../types.js'
import { newConnectionId } from './connection-id.js'
import { ConnectionListeners } from './connection-listeners.js'
import type { ConnectionSocket } from './connection-socket.js'
import type { ConnectionHost, ConnectionRoute, ConnectionSettings } from './host.js'
import { SendStatus } from './send-status.js'
import { SocketWriter } from './socket-writer.js'
import { type HeldEvent, queueOverflow, StartupQueue } from './startup-queue.js'
import { snapshotRequest, type UpgradeRequest } from './upgrade-request.js'

const JOIN_KEYS = keySet<JoinOptions>({ history: true, authorize: true })

/** What `#assignedUser` holds until the application assigns `conn.user`. */
const NOT_ASSIGNED = Symbol('not assigned')

/** `WebSocket.OPEN` from RFC 6455's readyState; spelled out so `ws` stays a type import here. */
const OPEN = 1

/** The params of every connection whose route has none: one frozen object, not one each. */
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({})

function delivered(status: SendStatus): boolean {
  return status === SendStatus.Sent || status === SendStatus.Buffered
}

function hasKeys(record: Record<string, string>): boolean {
  for (const _ in record) return true
  return false
}

// Also the writer's owner (drained, overflowed), kept out of the declarations with them.
export class Connection extends ConnectionListeners implements WSConnection, SweepTarget {
  readonly id = newConnectionId()
  readonly url: string
  readonly params: Readonly<Record<string, string>>
  /** @internal The route pattern that matched, for per-route metrics; absent when a framework routed it. */
  readonly routePattern: string | undefined
  readonly request: UpgradeRequest
  readonly protocol: string
  readonly remoteAddress: string | undefined
  readonly userId: string | undefined
  isAlive = true
  /** Whether a roomcast client's session was restored onto this connection. */
  recovered = false
  /**
   * A roomcast client's session, and a catch-up in progress; absent for a
   * plain client that never caught up, which so pays nothing for either.
   */
  durable: DurableLink | undefined
  /** @internal The token it was opened with, or refreshed to; absent without token authentication. */
  grant: TokenGrant | undefined
  readonly openedAt = Date.now()
  lastPong = this.openedAt
  /** Time of the last message; kept only when the route has an inactivity limit. */
  lastActivity = this.openedAt
  nextPingAt: number
  missedPongs = 0

  readonly #socket: WebSocket
  /** Frames out to the socket, with flow control. */
  readonly #writer: SocketWriter
  readonly #host: ConnectionHost
  /** Idle connections are most connections: what few of them use is made on first use. */
  readonly #search: string
  #query: URLSearchParams | undefined
  #metadata: Record<string, unknown> | undefined
  readonly #settings: ConnectionSettings
  readonly #bucket: TokenBucket | undefined
  #abort: AbortController | undefined
  /** Until the route handler settles, messages (and a close) are held; made on the first one. */
  #starting = true
  #startup: StartupQueue<HeldEvent> | undefined
  #releaseWhenClosed = false
  /** Rooms at the moment of closing, so close listeners can still address them. */
  #roomsAtClose: string[] | undefined
  #closedByServer = false
  #closeSent: { code: number; reason: string } | undefined
  #assignedUser: unknown = NOT_ASSIGNED

  /** @internal Built by the server only; kept out of the declarations so they never name `ws`. */
  constructor(
    host: ConnectionHost,
    socket: ConnectionSocket,
    request: IncomingMessage,
    route: ConnectionRoute,
  ) {
    super()
    this.#host = host
    this.#settings = route.settings
    this.#socket = socket
    this.#writer = new SocketWriter(socket, host, route.settings, this)
    this.request = snapshotRequest(request)
    this.url = route.url
    this.params = hasKeys(route.params) ? route.params : NO_PARAMS
    this.routePattern = route.pattern
    this.#search = route.search
    this.protocol = socket.protocol
    this.remoteAddress = request.socket.remoteAddress
    this.userId = route.identity?.userId
    const seeded = route.identity?.metadata
    if (seeded !== undefined) this.#metadata = { ...seeded }
    this.nextPingAt = this.openedAt + route.settings.liveness.pingInterval
    const limit = route.settings.rateLimit
    this.#bucket = limit && new TokenBucket(limit.messages, limit.interval)
    socket.owner = this
  }

  /** @internal What the socket reports (see ConnectionSocket): one dispatch, no listeners on it. */
  socketEvent(event: string | symbol, args: unknown[]): void {
    switch (event) {
      case 'message':
        this.#onMessage(args[0] as Buffer, args[1] as boolean)
        break
      // Control frames are not held for the handler: a stale ping is worth nothing, and
      // holding them would let a client grow memory outside maxQueuedBytes.
      case 'ping':
        this.#emit('ping', [args[0] as Buffer])
        break
      case 'pong':
        this.isAlive = true
        this.lastPong = Date.now()
        this.#emit('pong', [args[0] as Buffer])
        break
      // ws closes the socket itself after protocol errors (1002, 1007, 1009); we only report them.
      case 'error':
        this.#host.reportError(this, args[0] as Error)
        break
      case 'close':
        this.#onClose(args[0] as number, String(args[1]))
        break
    }
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.#search)
    return this.#query
  }

  get metadata(): Record<string, unknown> {
    this.#metadata ??= {}
    return this.#metadata
  }

  set metadata(value: Record<string, unknown>) {
    this.#metadata = value
  }

  get user(): AuthenticatedUser | undefined {
    if (this.#assignedUser !== NOT_ASSIGNED) return this.#assignedUser as AuthenticatedUser
    const token = this.grant?.token
    return token && { userId: token.userId, payload: token.payload }
  }

  /** Seed 001's middleware assigns `socket.user`: what it assigns is the connection's from then on. */
  set user(value: AuthenticatedUser | undefined) {
    this.#assignedUser = value
  }

  get isOpen(): boolean {
    return this.#socket.readyState === OPEN
  }

  get bufferedAmount(): number {
    return this.#writer.bufferedAmount
  }

  // Sends to this connection alone (replies, mostly) are written at once; broadcasts coalesce.
  send(data: SendData): boolean {
    return delivered(this.writePayload(this.#toSendPayload(data), false, false))
  }

  json(value: unknown): boolean {
    return delivered(this.writePayload(toJsonPayload(value), false, false))
  }

  /**
   * Writes an encoded payload; the path every send and broadcast takes.
   * @returns `false` when closed, dropped (volatile with unsent data, or over
   * `maxBackpressure` with policy `'drop'`) or closed for backpressure.
   */
  sendPayload(payload: Payload, volatile = false): boolean {
    return delivered(this.writePayload(payload, volatile))
  }

  trySend(data: SendData): SendStatus {
    return this.writePayload(this.#toSendPayload(data), false, false)
  }

  /** Seed 000's strict `send()`, or seed 002's on route objects (values other than bytes as JSON). */
  #toSendPayload(data: SendData): Payload {
    return this.#settings.sendsValuesAsJson ? toAnyPayload(data) : toPayload(data)
  }

  tryJson(value: unknown): SendStatus {
    return this.writePayload(toJsonPayload(value), false, false)
  }

  /** Writes an encoded payload and says what became of it. */
  writePayload(payload: Payload, volatile: boolean, coalesce = true): SendStatus {
    if (this.#socket.readyState !== OPEN) return SendStatus.Closed
    const durable = this.durable
    if (durable === undefined) return this.#writer.write(payload, volatile, coalesce)
    // Live messages of a room being caught up wait behind its history.
    if (durable.catchUp?.hold(payload)) return SendStatus.Buffered
    return this.#writer.write(durable.client ? payload.forClient : payload, volatile, coalesce)
  }

  /** Writes past a catch-up's hold: what it replays and releases. */
  writeCaughtUp(payload: Payload): void {
    if (this.#socket.readyState !== OPEN) return
    this.#writer.write(this.durable?.client ? payload.forClient : payload, false)
  }

  /** A control frame for a roomcast client (docs/protocol.md). */
  sendControl(header: ControlHeader): void {
    if (this.#socket.readyState !== OPEN || this.durable?.client !== true) return
    this.#writer.write(new Payload(controlFrame(header), false), false)
  }

  /** @internal The writer's: unsent data drained. */
  drained(): void {
    this.#emit('drain', [])
  }

  /** @internal The writer's: past `maxBackpressure` with policy `'close'`. */
  overflowed(): void {
    // The close frame queues behind the backlog; close() cuts off a client that never reads it.
    this.close(CloseCode.TryAgainLater, 'Backpressure limit exceeded')
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    if (!isSendableCloseCode(code)) {
      throw new RoomcastError(
        ErrorCode.InvalidCloseCode,
        `Close code ${code} cannot be sent; use 1000–1003, 1007–1014 or 3000–4999`,
      )
    }
    if (this.#socket.readyState > OPEN) return
    this.#closedByServer = true
    const sent = { code, reason: truncateCloseReason(String(reason)) }
    this.#closeSent = sent
    this.#socket.close(sent.code, sent.reason)
    // A client that never answers the close is cut off after closeTimeout, not ws's own 30 s.
    setTimeout(() => {
      if (this.#roomsAtClose === undefined) this.terminate()
    }, this.#host.closeTimeout).unref()
  }

  /**
   * The close frame this side sent first, if it did. The `close` event's code
   * and reason are the peer's echo, which need not repeat the reason.
   */
  get closeSent(): { readonly code: number; readonly reason: string } | undefined {
    return this.#closeSent
  }

  terminate(): void {
    this.#closedByServer = true
    this.#socket.terminate()
  }

  pong(data?: SendData): void {
    if (this.#socket.readyState !== OPEN) return
    this.#socket.pong(data === undefined ? undefined : toPayload(data).data)
  }

  get liveness(): LivenessPolicy {
    return this.#settings.liveness
  }

  get signal(): AbortSignal {
    // Created on first use: most connections never ask, and each controller costs memory.
    this.#abort ??= new AbortController()
    if (this.#roomsAtClose !== undefined && !this.#abort.signal.aborted) this.#abort.abort()
    return this.#abort.signal
  }

  /**
   * Whether this side closed or terminated the connection. A client that
   * closes during startup does not stop the handler: it still receives the
   * messages sent before the close, then the close itself.
   */
  get closedByServer(): boolean {
    return this.#closedByServer
  }

  /** Heartbeat ping; `isAlive` stays false until the pong arrives. */
  ping(): void {
    if (this.#socket.readyState !== OPEN) return
    this.isAlive = false
    this.#socket.ping()
  }

  /** Joining after the connection closed does nothing: its rooms are already gone. */
  join(room: string, options: JoinOptions & { authorize: true }): Promise<boolean>
  join(room: string, options?: JoinOptions): void
  join(room: string, options?: JoinOptions): Promise<boolean> | undefined {
    assertRoomName(room)
    let history: number | undefined
    if (options !== undefined) {
      assertKnownKeys(options, JOIN_KEYS, { object: 'join', scope: 'join()' })
      history = count('join.history', options.history, {}, 0)
      if (options.authorize === true) return this.#authorizedJoin(room, history)
    }
    if (this.#roomsAtClose === undefined) this.#host.join(this, room, history)
  }

  mayJoin(room: string): boolean | Promise<boolean> {
    const refused = (error: unknown) => {
      this.#host.reportError(this, toError(error))
      return false
    }
    try {
      const allowed = this.#host.mayJoin(this, room)
      return isThenable(allowed)
        ? Promise.resolve(allowed).then((granted) => granted === true, refused)
        : allowed === true
    } catch (error) {
      return refused(error)
    }
  }

  async #authorizedJoin(room: string, history: number | undefined): Promise<boolean> {
    if (!(await this.mayJoin(room)) || this.#roomsAtClose !== undefined) return false
    this.#host.join(this, room, history)
    return true
  }

  leave(room: string): void {
    assertRoomName(room)
    this.#host.leave(this, room)
  }

  joinRoom(room: string): void {
    this.join(room)
  }

  leaveRoom(room: string): void {
    this.leave(room)
  }

  leaveAll(): void {
    this.#host.leaveAll(this)
  }

  /** The rooms joined; once closed, the rooms it was in when it closed. */
  getRooms(): string[] {
    return [...(this.#roomsAtClose ?? this.#host.roomsOf(this))]
  }

  broadcast(room: string, data: SendData): number
  broadcast(data: unknown, options?: ConnectionBroadcastOptions): number
  broadcast(...args: unknown[]): number {
    const { target, payload } = connectionBroadcast(this, args)
    return this.#host.fanOut(target, payload)
  }

  broadcastJson(room: string, value: unknown): number {
    assertRoomName(room)
    return this.#host.fanOut({ rooms: [room], except: [this.id] }, toJsonPayload(value))
  }

  broadcastAllRooms(data: unknown, includeSelf: boolean): number {
    const broadcast = allRoomsBroadcast(this, this.getRooms(), data, includeSelf)
    return broadcast === undefined ? 0 : this.#host.fanOut(broadcast.target, broadcast.payload)
  }

  /** Delivers the messages held while the handler was starting, in order; then live. */
  release(): void {
    this.#starting = false
    const startup = this.#startup
    if (startup === undefined) return
    this.#startup = undefined
    for (const held of startup.release()) {
      if (held.event === 'message') this.#emit('message', held.args)
      else this.#emit('close', held.args)
    }
  }

  /**
   * For a startup that ended without the route handler settling (a middleware
   * stopped the chain or failed): keep holding messages, and deliver them and
   * the close to whatever listeners exist once the connection has closed.
   */
  releaseWhenClosed(): void {
    if (this.#roomsAtClose !== undefined) this.release()
    else this.#releaseWhenClosed = true
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const stats = this.#host.stats
    stats.messagesIn++
    stats.bytesIn += data.length
    if (this.#settings.liveness.inactivityTimeout > 0 || this.#bucket !== undefined) {
      const now = Date.now()
      this.lastActivity = now
      if (this.#bucket !== undefined && !this.#bucket.take(now)) {
        this.#rateLimited(now)
        return
      }
    }
    const message = isBinary ? data : data.toString()
    // Token refreshes are the server's business, whatever the route does with messages.
    if (
      !isBinary &&
      this.#settings.auth !== undefined &&
      this.#host.refresh(this, message as string)
    ) {
      return
    }
    if (!this.#starting) {
      this.#emit('message', [message, isBinary])
      return
    }
    this.#startup ??= new StartupQueue(this.#host.maxQueuedBytes)
    if (this.#startup.hold({ event: 'message', args: [message, isBinary] }, data.length)) return
    if (!this.isOpen) return
    this.#host.reportError(this, queueOverflow(this.id, this.#host.maxQueuedBytes))
    this.close(CloseCode.PolicyViolation, 'Message queue full')
  }

  /** Over the rate limit: skip the message and tell the client once per interval, or close. */
  #rateLimited(now: number): void {
    const limit = this.#settings.rateLimit
    if (limit === undefined || this.#bucket === undefined) return
    this.#host.stats.messagesRateLimited++
    if (limit.onExceeded === 'close') {
      this.close(CloseCode.PolicyViolation, 'Rate limit exceeded')
      return
    }
    if (!this.#bucket.shouldNotify(now)) return
    const message = `Rate limit exceeded: at most ${limit.messages} messages per ${limit.interval} ms`
    this.json(errorReply(ErrorCode.RateLimited, message))
  }

  #onClose(code: number, reason: string): void {
    this.#roomsAtClose = [...this.#host.roomsOf(this)]
    this.#abort?.abort()
    this.#host.connectionClosed(this, code, reason)
    if (!this.#starting) {
      this.#emit('close', [code, reason])
      return
    }
    this.#startup ??= new StartupQueue(this.#host.maxQueuedBytes)
    this.#startup.hold({ event: 'close', args: [code, reason] })
    if (this.#releaseWhenClosed) this.release()
  }

  #emit<E extends ConnectionEvent>(event: E, args: Parameters<ConnectionEvents[E]>): void {
    this.listeners.emit(event, args, (error) => this.#host.reportError(this, error))
  }
}
