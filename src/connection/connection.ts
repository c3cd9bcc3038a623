/** The connection object: sending, closing, events and rooms, as handlers see it. */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
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
import type { LivenessPolicy } from '../server/index.js'
import type {
  AuthenticatedUser,
  ConnectionEvent,
  ConnectionEvents,
  JoinOptions,
  SendData,
  WSConnection,
} from '../types.js'
import { clockNow, toEpoch } from './clock.js'
import { newConnectionId } from './connection-id.js'
import type { ConnectionSocket } from './connection-socket.js'
import { ConnectionExtras, NOT_ASSIGNED } from './extras.js'
import type { ConnectionHost, ConnectionRoute } from './host.js'
import { SendStatus } from './send-status.js'
import { SocketWriter } from './socket-writer.js'
import { type HeldEvent, queueOverflow, StartupQueue } from './startup-queue.js'
import {
  isPlainUpgrade,
  shareHeaderValues,
  type UpgradeRequest,
  upgradeRequest,
} from './upgrade-request.js'

const JOIN_KEYS = keySet<JoinOptions>({ history: true, authorize: true })

/** `WebSocket.OPEN` from RFC 6455's readyState; spelled out so `ws` stays a type import here. */
const OPEN = 1

/** The params of every connection whose route has none: one frozen object, not one each. */
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({})

/** The connection's yes/no state, as bits of one small integer. */
const ALIVE = 1
const RECOVERED = 2
/** Until the route handler settles, messages (and a close) are held. */
const STARTING = 4
const RELEASE_WHEN_CLOSED = 8
const CLOSED_BY_SERVER = 16
const CLOSED = 32
/** The bits above the flags count unanswered heartbeat pings. */
const MISSED_PONGS_SHIFT = 8
const FLAG_BITS = (1 << MISSED_PONGS_SHIFT) - 1

function delivered(status: SendStatus): boolean {
  return status === SendStatus.Sent || status === SendStatus.Buffered
}

function hasKeys(record: Record<string, string>): boolean {
  for (const _ in record) return true
  return false
}

// Also the sweep's SweepTarget, by members the declarations leave out (so not declared
// here, where the declarations would break). Methods are `private`, not `#private`: a
// class with #private methods gives every instance a brand slot, 8 bytes per class.
export class Connection extends SocketWriter implements WSConnection {
  readonly id = newConnectionId()
  readonly url: string
  readonly params: Readonly<Record<string, string>>
  /** @internal The route pattern that matched, for per-route metrics; absent when a framework routed it. */
  readonly routePattern: string | undefined
  /** @internal Times on the connection clock (see clock.ts), for the sweep. */
  readonly openTime = clockNow()
  /** @internal */
  pongTime = this.openTime
  /** @internal Time of the last message; kept only when the route has an inactivity limit. */
  activityTime = this.openTime
  /** @internal */
  nextPingTime: number

  /** What `conn.request` is made of, on first read: most connections never read it. */
  readonly #headers: IncomingHttpHeaders
  /** The request target, path and query string. */
  readonly #target: string
  #request: UpgradeRequest | undefined
  #flags = ALIVE | STARTING
  /** Idle connections are most connections: what few of them use is made on first use. */
  #extras: ConnectionExtras | undefined

  /** @internal Built by the server only; kept out of the declarations so they never name `ws`. */
  constructor(
    host: ConnectionHost,
    socket: ConnectionSocket,
    request: IncomingMessage,
    route: ConnectionRoute,
  ) {
    super(socket, host, route.settings)
    this.#headers = shareHeaderValues(request.headers)
    this.#target = request.url ?? '/'
    // An upgrade is a GET over HTTP/1.1 (RFC 6455 §4.1); anything else is kept as it came.
    if (!isPlainUpgrade(request)) {
      this.#request = upgradeRequest(this.#target, this.#headers, this.tcpSocket, request)
    }
    this.url = route.url
    this.params = hasKeys(route.params) ? route.params : NO_PARAMS
    this.routePattern = route.pattern
    if (route.search !== '') this.ensureExtras().search = route.search
    // Read now: Node keeps the peer address once read, and has none to read once closed.
    void this.tcpSocket.remoteAddress
    const userId = route.identity?.userId
    if (userId !== undefined) this.ensureExtras().userId = userId
    const seeded = route.identity?.metadata
    if (seeded !== undefined) this.ensureExtras().metadata = { ...seeded }
    this.nextPingTime = this.openTime + route.settings.liveness.pingInterval
    const limit = route.settings.rateLimit
    if (limit !== undefined)
      this.ensureExtras().bucket = new TokenBucket(limit.messages, limit.interval)
    socket.owner = this
  }

  /** @internal What the socket reports (see ConnectionSocket): one dispatch, no listeners on it. */
  socketEvent(event: string | symbol, args: unknown[]): void {
    switch (event) {
      case 'message':
        this.handleMessage(args[0] as Buffer, args[1] as boolean)
        break
      // Control frames are not held for the handler: a stale ping is worth nothing, and
      // holding them would let a client grow memory outside maxQueuedBytes.
      case 'ping':
        this.dispatch('ping', [args[0] as Buffer])
        break
      case 'pong':
        this.#flags |= ALIVE
        this.pongTime = clockNow()
        this.dispatch('pong', [args[0] as Buffer])
        break
      // ws closes the socket itself after protocol errors (1002, 1007, 1009); we only report them.
      case 'error':
        this.host.reportError(this, args[0] as Error)
        break
      case 'close':
        this.handleClose(args[0] as number, String(args[1]))
        break
    }
  }

  private ensureExtras(): ConnectionExtras {
    this.#extras ??= new ConnectionExtras()
    return this.#extras
  }

  private hasFlag(flag: number): boolean {
    return (this.#flags & flag) !== 0
  }

  private setFlag(flag: number, on: boolean): void {
    this.#flags = on ? this.#flags | flag : this.#flags & ~flag
  }

  get userId(): string | undefined {
    return this.#extras?.userId
  }

  /**
   * A roomcast client's session, and a catch-up in progress; absent for a
   * plain client that never caught up.
   */
  get durable(): DurableLink | undefined {
    return this.#extras?.durable
  }

  set durable(value: DurableLink | undefined) {
    this.ensureExtras().durable = value
  }

  /** @internal Heartbeat pings unanswered in a row, for the sweep. */
  get missedPongs(): number {
    return this.#flags >>> MISSED_PONGS_SHIFT
  }

  set missedPongs(count: number) {
    this.#flags = (this.#flags & FLAG_BITS) | (count << MISSED_PONGS_SHIFT)
  }

  get request(): UpgradeRequest {
    this.#request ??= upgradeRequest(this.#target, this.#headers, this.tcpSocket)
    return this.#request
  }

  get remoteAddress(): string | undefined {
    return this.tcpSocket.remoteAddress
  }

  get protocol(): string {
    return this.socket.protocol
  }

  get isAlive(): boolean {
    return this.hasFlag(ALIVE)
  }

  /** Whether a roomcast client's session was restored onto this connection. */
  get recovered(): boolean {
    return this.hasFlag(RECOVERED)
  }

  set recovered(value: boolean) {
    this.setFlag(RECOVERED, value)
  }

  get openedAt(): number {
    return toEpoch(this.openTime)
  }

  get lastPong(): number {
    return toEpoch(this.pongTime)
  }

  /** @internal The token it was opened with, or refreshed to; absent without token authentication. */
  get grant(): TokenGrant | undefined {
    return this.#extras?.grant
  }

  set grant(value: TokenGrant | undefined) {
    this.ensureExtras().grant = value
  }

  get query(): URLSearchParams {
    const extras = this.ensureExtras()
    extras.query ??= new URLSearchParams(extras.search)
    return extras.query
  }

  get metadata(): Record<string, unknown> {
    const extras = this.ensureExtras()
    extras.metadata ??= {}
    return extras.metadata
  }

  set metadata(value: Record<string, unknown>) {
    this.ensureExtras().metadata = value
  }

  get user(): AuthenticatedUser | undefined {
    const assigned = this.#extras?.assignedUser ?? NOT_ASSIGNED
    if (assigned !== NOT_ASSIGNED) return assigned as AuthenticatedUser
    const token = this.grant?.token
    return token && { userId: token.userId, payload: token.payload }
  }

  /** Seed 001's middleware assigns `socket.user`: what it assigns is the connection's from then on. */
  set user(value: AuthenticatedUser | undefined) {
    this.ensureExtras().assignedUser = value
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN
  }

  // Sends to this connection alone (replies, mostly) are written at once; broadcasts coalesce.
  send(data: SendData): boolean {
    return delivered(this.writePayload(this.toSendPayload(data), false, false))
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
    return this.writePayload(this.toSendPayload(data), false, false)
  }

  /** Seed 000's strict `send()`, or seed 002's on route objects (values other than bytes as JSON). */
  private toSendPayload(data: SendData): Payload {
    return this.settings.sendsValuesAsJson ? toAnyPayload(data) : toPayload(data)
  }

  tryJson(value: unknown): SendStatus {
    return this.writePayload(toJsonPayload(value), false, false)
  }

  /** Writes an encoded payload and says what became of it. */
  writePayload(payload: Payload, volatile: boolean, coalesce = true): SendStatus {
    if (this.socket.readyState !== OPEN) return SendStatus.Closed
    const durable = this.durable
    if (durable === undefined) return this.writeFrame(payload, volatile, coalesce)
    // Live messages of a room being caught up wait behind its history.
    if (durable.catchUp?.hold(payload)) return SendStatus.Buffered
    return this.writeFrame(durable.client ? payload.forClient : payload, volatile, coalesce)
  }

  /** Writes past a catch-up's hold: what it replays and releases. */
  writeCaughtUp(payload: Payload): void {
    if (this.socket.readyState !== OPEN) return
    this.writeFrame(this.durable?.client ? payload.forClient : payload, false)
  }

  /** A control frame for a roomcast client (docs/protocol.md). */
  sendControl(header: ControlHeader): void {
    if (this.socket.readyState !== OPEN || this.durable?.client !== true) return
    this.writeFrame(new Payload(controlFrame(header), false), false)
  }

  protected drained(): void {
    this.dispatch('drain', [])
  }

  /** Past `maxBackpressure` with policy `'close'`. */
  protected overflowed(): void {
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
    if (this.socket.readyState > OPEN) return
    this.#flags |= CLOSED_BY_SERVER
    const sent = { code, reason: truncateCloseReason(String(reason)) }
    this.ensureExtras().closeSent = sent
    this.socket.close(sent.code, sent.reason)
    // A client that never answers the close is cut off after closeTimeout, not ws's own 30 s.
    setTimeout(() => {
      if (!this.hasFlag(CLOSED)) this.terminate()
    }, this.host.closeTimeout).unref()
  }

  /**
   * The close frame this side sent first, if it did. The `close` event's code
   * and reason are the peer's echo, which need not repeat the reason.
   */
  get closeSent(): { readonly code: number; readonly reason: string } | undefined {
    return this.#extras?.closeSent
  }

  terminate(): void {
    this.#flags |= CLOSED_BY_SERVER
    this.socket.terminate()
  }

  pong(data?: SendData): void {
    if (this.socket.readyState !== OPEN) return
    this.socket.pong(data === undefined ? undefined : toPayload(data).data)
  }

  get liveness(): LivenessPolicy {
    return this.settings.liveness
  }

  get signal(): AbortSignal {
    // Created on first use: most connections never ask, and each controller costs memory.
    const extras = this.ensureExtras()
    extras.abort ??= new AbortController()
    if (this.hasFlag(CLOSED) && !extras.abort.signal.aborted) extras.abort.abort()
    return extras.abort.signal
  }

  /**
   * Whether this side closed or terminated the connection. A client that
   * closes during startup does not stop the handler: it still receives the
   * messages sent before the close, then the close itself.
   */
  get closedByServer(): boolean {
    return this.hasFlag(CLOSED_BY_SERVER)
  }

  /** Heartbeat ping; `isAlive` stays false until the pong arrives. */
  ping(): void {
    if (this.socket.readyState !== OPEN) return
    this.#flags &= ~ALIVE
    this.socket.ping()
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
      if (options.authorize === true) return this.authorizedJoin(room, history)
    }
    if (!this.hasFlag(CLOSED)) this.host.join(this, room, history)
  }

  mayJoin(room: string): boolean | Promise<boolean> {
    const refused = (error: unknown) => {
      this.host.reportError(this, toError(error))
      return false
    }
    try {
      const allowed = this.host.mayJoin(this, room)
      return isThenable(allowed)
        ? Promise.resolve(allowed).then((granted) => granted === true, refused)
        : allowed === true
    } catch (error) {
      return refused(error)
    }
  }

  private async authorizedJoin(room: string, history: number | undefined): Promise<boolean> {
    if (!(await this.mayJoin(room)) || this.hasFlag(CLOSED)) return false
    this.host.join(this, room, history)
    return true
  }

  leave(room: string): void {
    assertRoomName(room)
    this.host.leave(this, room)
  }

  joinRoom(room: string): void {
    this.join(room)
  }

  leaveRoom(room: string): void {
    this.leave(room)
  }

  leaveAll(): void {
    this.host.leaveAll(this)
  }

  /** The rooms joined; once closed, the rooms it was in when it closed. */
  getRooms(): string[] {
    return [...(this.#extras?.roomsAtClose ?? this.host.roomsOf(this))]
  }

  broadcast(room: string, data: SendData): number
  broadcast(data: unknown, options?: ConnectionBroadcastOptions): number
  broadcast(...args: unknown[]): number {
    const { target, payload } = connectionBroadcast(this, args)
    return this.host.fanOut(target, payload)
  }

  broadcastJson(room: string, value: unknown): number {
    assertRoomName(room)
    return this.host.fanOut({ rooms: [room], except: [this.id] }, toJsonPayload(value))
  }

  broadcastAllRooms(data: unknown, includeSelf: boolean): number {
    const broadcast = allRoomsBroadcast(this, this.getRooms(), data, includeSelf)
    return broadcast === undefined ? 0 : this.host.fanOut(broadcast.target, broadcast.payload)
  }

  /** Delivers the messages held while the handler was starting, in order; then live. */
  release(): void {
    this.#flags &= ~STARTING
    const startup = this.#extras?.startup
    if (startup === undefined) return
    this.ensureExtras().startup = undefined
    for (const held of startup.release()) {
      if (held.event === 'message') this.dispatch('message', held.args)
      else this.dispatch('close', held.args)
    }
  }

  /**
   * For a startup that ended without the route handler settling (a middleware
   * stopped the chain or failed): keep holding messages, and deliver them and
   * the close to whatever listeners exist once the connection has closed.
   */
  releaseWhenClosed(): void {
    if (this.hasFlag(CLOSED)) this.release()
    else this.#flags |= RELEASE_WHEN_CLOSED
  }

  private handleMessage(data: Buffer, isBinary: boolean): void {
    const stats = this.host.stats
    stats.messagesIn++
    stats.bytesIn += data.length
    const bucket = this.#extras?.bucket
    if (this.settings.liveness.inactivityTimeout > 0 || bucket !== undefined) {
      const now = clockNow()
      this.activityTime = now
      if (bucket !== undefined && !bucket.take(now)) {
        this.rateLimited(now)
        return
      }
    }
    const message = isBinary ? data : data.toString()
    // Token refreshes are the server's business, whatever the route does with messages.
    if (
      !isBinary &&
      this.settings.auth !== undefined &&
      this.host.refresh(this, message as string)
    ) {
      return
    }
    if (!this.hasFlag(STARTING)) {
      this.dispatch('message', [message, isBinary])
      return
    }
    if (this.startupQueue().hold({ event: 'message', args: [message, isBinary] }, data.length)) {
      return
    }
    if (!this.isOpen) return
    this.host.reportError(this, queueOverflow(this.id, this.host.maxQueuedBytes))
    this.close(CloseCode.PolicyViolation, 'Message queue full')
  }

  /** Over the rate limit: skip the message and tell the client once per interval, or close. */
  private rateLimited(now: number): void {
    const limit = this.settings.rateLimit
    const bucket = this.#extras?.bucket
    if (limit === undefined || bucket === undefined) return
    this.host.stats.messagesRateLimited++
    if (limit.onExceeded === 'close') {
      this.close(CloseCode.PolicyViolation, 'Rate limit exceeded')
      return
    }
    if (!bucket.shouldNotify(now)) return
    const message = `Rate limit exceeded: at most ${limit.messages} messages per ${limit.interval} ms`
    this.json(errorReply(ErrorCode.RateLimited, message))
  }

  private startupQueue(): StartupQueue<HeldEvent> {
    const extras = this.ensureExtras()
    extras.startup ??= new StartupQueue(this.host.maxQueuedBytes)
    return extras.startup
  }

  private handleClose(code: number, reason: string): void {
    this.ensureExtras().roomsAtClose = [...this.host.roomsOf(this)]
    this.#flags |= CLOSED
    this.#extras?.abort?.abort()
    this.host.connectionClosed(this, code, reason)
    if (!this.hasFlag(STARTING)) {
      this.dispatch('close', [code, reason])
      return
    }
    this.startupQueue().hold({ event: 'close', args: [code, reason] })
    if (this.hasFlag(RELEASE_WHEN_CLOSED)) this.release()
  }

  private dispatch<E extends ConnectionEvent>(
    event: E,
    args: Parameters<ConnectionEvents[E]>,
  ): void {
    this.emitEvent(event, args, (error) => this.host.reportError(this, error))
  }
}
