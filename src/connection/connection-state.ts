/**
 * What a connection is and knows: identity, route, upgrade request, times,
 * yes/no state and what few connections use. Kept small: an idle connection
 * is most of what a server holds.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { TokenGrant } from '../auth/index.js'
import { TokenBucket } from '../message/index.js'
import type { DurableLink } from '../recovery/index.js'
import type { AuthenticatedUser } from '../types.js'
import { clockNow, toEpoch } from './clock.js'
import { newConnectionId } from './connection-id.js'
import type { ConnectionSocket } from './connection-socket.js'
import { ConnectionExtras, NOT_ASSIGNED } from './extras.js'
import type { ConnectionHost, ConnectionRoute } from './host.js'
import { SocketWriter } from './socket-writer.js'
import {
  isPlainUpgrade,
  shareHeaderValues,
  type UpgradeRequest,
  upgradeRequest,
} from './upgrade-request.js'

/** The params of every connection whose route has none: one frozen object, not one each. */
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({})

/** The connection's yes/no state, as bits of one small integer. */
export const ALIVE = 1
const RECOVERED = 2
/** Until the route handler settles, messages (and a close) are held. */
export const STARTING = 4
export const RELEASE_WHEN_CLOSED = 8
export const CLOSED_BY_SERVER = 16
export const CLOSED = 32
/** The bits above the flags count unanswered heartbeat pings. */
const MISSED_PONGS_SHIFT = 8
const FLAG_BITS = (1 << MISSED_PONGS_SHIFT) - 1

function hasKeys(record: Record<string, string>): boolean {
  for (const _ in record) return true
  return false
}

export abstract class ConnectionState extends SocketWriter {
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
  /** The yes/no state (the bits above) and the count of unanswered pings. */
  protected flags = ALIVE | STARTING
  /** Idle connections are most connections: what few of them use is made on first use. */
  protected extras: ConnectionExtras | undefined

  /** @internal */
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
  }

  protected ensureExtras(): ConnectionExtras {
    this.extras ??= new ConnectionExtras()
    return this.extras
  }

  protected hasFlag(flag: number): boolean {
    return (this.flags & flag) !== 0
  }

  get userId(): string | undefined {
    return this.extras?.userId
  }

  /**
   * A roomcast client's session, and a catch-up in progress; absent for a
   * plain client that never caught up.
   */
  get durable(): DurableLink | undefined {
    return this.extras?.durable
  }

  set durable(value: DurableLink | undefined) {
    this.ensureExtras().durable = value
  }

  /** @internal Heartbeat pings unanswered in a row, for the sweep. */
  get missedPongs(): number {
    return this.flags >>> MISSED_PONGS_SHIFT
  }

  /** @internal */
  set missedPongs(count: number) {
    this.flags = (this.flags & FLAG_BITS) | (count << MISSED_PONGS_SHIFT)
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
    this.flags = value ? this.flags | RECOVERED : this.flags & ~RECOVERED
  }

  get openedAt(): number {
    return toEpoch(this.openTime)
  }

  get lastPong(): number {
    return toEpoch(this.pongTime)
  }

  /** @internal The token it was opened with, or refreshed to; absent without token authentication. */
  get grant(): TokenGrant | undefined {
    return this.extras?.grant
  }

  /** @internal */
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
    // An assigned `undefined` counts: it signs the connection's user out.
    const extras = this.extras
    if (extras !== undefined && extras.assignedUser !== NOT_ASSIGNED) {
      return extras.assignedUser as AuthenticatedUser | undefined
    }
    const token = this.grant?.token
    return token && { userId: token.userId, payload: token.payload }
  }

  /** Seed 001's middleware assigns `socket.user`: what it assigns is the connection's from then on. */
  set user(value: AuthenticatedUser | undefined) {
    this.ensureExtras().assignedUser = value
  }
}
