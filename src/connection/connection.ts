/** The connection object: sending, closing, events and rooms, as handlers see it. */
import type { IncomingMessage } from 'node:http'
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
import { errorReply } from '../message/index.js'
import { assertKnownKeys, count, keySet } from '../options/index.js'
import { assertRoomName } from '../rooms.js'
import type { LivenessPolicy } from '../server/index.js'
import type {
  ConnectionEvent,
  ConnectionEvents,
  JoinOptions,
  SendData,
  WSConnection,
} from '../types.js'
import { clockNow } from './clock.js'
import type { ConnectionSocket } from './connection-socket.js'
import {
  ALIVE,
  CLOSED,
  CLOSED_BY_SERVER,
  ConnectionState,
  RELEASE_WHEN_CLOSED,
  STARTING,
} from './connection-state.js'
import type { ConnectionHost, ConnectionRoute } from './host.js'
import { SendStatus } from './send-status.js'
import { type HeldEvent, queueOverflow, StartupQueue } from './startup-queue.js'

const JOIN_KEYS = keySet<JoinOptions>({ history: true, authorize: true })

/** `WebSocket.OPEN` from RFC 6455's readyState; spelled out so `ws` stays a type import here. */
const OPEN = 1

function delivered(status: SendStatus): boolean {
  return status === SendStatus.Sent || status === SendStatus.Buffered
}

// Also the sweep's SweepTarget, by members the declarations leave out (so not declared
// here, where the declarations would break). Methods are `private`, not `#private`: a
// class with #private methods gives every instance a brand slot, 8 bytes per class.
// Its state (identity, times, flags, the lazily made extras) is ConnectionState's.
export class Connection extends ConnectionState implements WSConnection {
  /** @internal Built by the server only; kept out of the declarations so they never name `ws`. */
  constructor(
    host: ConnectionHost,
    socket: ConnectionSocket,
    request: IncomingMessage,
    route: ConnectionRoute,
  ) {
    super(host, socket, request, route)
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
        this.flags |= ALIVE
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
    this.flags |= CLOSED_BY_SERVER
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
    return this.extras?.closeSent
  }

  terminate(): void {
    this.flags |= CLOSED_BY_SERVER
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
    this.flags &= ~ALIVE
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
    return [...(this.extras?.roomsAtClose ?? this.host.roomsOf(this))]
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
    this.flags &= ~STARTING
    const startup = this.extras?.startup
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
    else this.flags |= RELEASE_WHEN_CLOSED
  }

  private handleMessage(data: Buffer, isBinary: boolean): void {
    const stats = this.host.stats
    stats.messagesIn++
    stats.bytesIn += data.length
    const bucket = this.extras?.bucket
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
    const bucket = this.extras?.bucket
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
    this.flags |= CLOSED
    this.extras?.abort?.abort()
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
