/**
 * The server's side of delivery that outlives a connection: which rooms keep
 * history, catch-ups on join, sessions of roomcast clients (kept while they
 * are away, restored when they return) and offline queues.
 */
import { randomBytes } from 'node:crypto'
import type {
  Adapter,
  DurableStore,
  HistoryPage,
  HistoryQuery,
  KeptRoom,
} from '../adapter/index.js'
import type { Connection, ConnectionRoute } from '../connection/index.js'
import { ErrorCode, RoomcastError, toError } from '../errors.js'
import { Payload } from '../fanout/index.js'
import {
  assertKnownKeys,
  count,
  type HistoryRule,
  keySet,
  type ResolvedOptions,
  type SessionSnapshot,
} from '../options/index.js'
import { CatchUp, type CatchUpFrom } from './catch-up.js'
import type { ClientPositions } from './client-hello.js'
import { HistoryRules } from './history-rules.js'
import { LiveSessions, snapshot } from './live-sessions.js'

/** What a connection carries once it speaks the protocol or has caught up. */
export interface DurableLink {
  /** A roomcast client: positions and control frames go to it. */
  readonly client: boolean
  catchUp: CatchUp | undefined
  /** Its session, when the server keeps sessions. */
  sessionId: string | undefined
  /** The connection id its session had before a recovery. */
  previousId: string | undefined
  /** Restoring a session: its joins are not new joins. */
  restoring: boolean
  /** Taken over by a newer connection of the same session: its close keeps nothing. */
  superseded: boolean
}

/** A message of a room's history, as `wss.history()` gives it. */
export interface HistoryEntry {
  offset: number
  /** When it was kept (ms since the epoch). */
  time: number
  /** Text messages as strings, binary ones as Buffers. */
  data: string | Buffer
  binary: boolean
}

export interface RoomHistory {
  room: string
  epoch: string
  /** Offset of the newest message ever kept in this epoch. */
  head: number
  messages: HistoryEntry[]
}

const QUERY_KEYS = keySet<HistoryQuery>({ after: true, limit: true })

export interface DurabilityDeps {
  options: ResolvedOptions
  adapter: Adapter
  failed(conn: Connection, error: Error): void
  /** Reports a failure that belongs to no connection. */
  error(error: Error): void
}

export class Durability {
  readonly #deps: DurabilityDeps
  readonly #rules = new HistoryRules()
  /** With `recovery`: the sessions of open roomcast-client connections. */
  readonly #sessions: LiveSessions | undefined
  /** Reads out per room, shared by catch-ups whose hold began before the read did. */
  readonly #reads = new Map<string, { issued: number; page: Promise<HistoryPage> }>()
  #clock = 0

  constructor(deps: DurabilityDeps) {
    this.#deps = deps
    const { history, recovery, offlineQueue } = deps.options
    if (history !== undefined) this.#rules.add(history)
    if (history !== undefined || recovery !== undefined || offlineQueue !== undefined) {
      this.#storeOrThrow(history ? 'history' : recovery ? 'recovery' : 'offlineQueue')
    }
    this.#sessions =
      recovery &&
      new LiveSessions(
        recovery,
        () => this.#store(),
        (error) => deps.error(error),
      )
  }

  /** Whether joins concern it: without history or recovery a join costs what it always did. */
  get active(): boolean {
    return this.#rules.any || this.#sessions !== undefined
  }

  /** Adds a route object's `history` rule, checked after the server's own. */
  addRule(rule: HistoryRule): void {
    this.#storeOrThrow('history')
    this.#rules.add(rule)
  }

  /** For the adapter: the history rooms among a broadcast's rooms; absent without history. */
  get keptRooms(): ((rooms: readonly string[]) => KeptRoom[] | undefined) | undefined {
    return this.#rules.keptRooms
  }

  /** @throws {RoomcastError} `ERR_INVALID_OPTION` when no rule keeps `room`'s history. */
  ruleOrThrow(room: string, caller: string): HistoryRule {
    return this.#rules.ofOrThrow(room, caller)
  }

  /**
   * During the handshake, after auth: finds the session a roomcast client
   * asks to resume and whether it may. Leaves `route.session` unset otherwise.
   */
  async resume(route: ConnectionRoute): Promise<void> {
    const recovery = this.#deps.options.recovery
    const sessions = this.#sessions
    const sessionId = route.hello?.sessionId
    if (recovery === undefined || sessions === undefined || !sessionId) return
    const live = sessions.get(sessionId)
    const session = live !== undefined ? snapshot(live) : await this.#store().takeSession(sessionId)
    if (session === undefined) return
    const userId = route.identity?.userId
    const allowed =
      recovery.authorize === undefined
        ? session.userId === userId
        : await recovery.authorize({ userId, url: route.url }, session)
    if (allowed !== true) return
    // The same client on a connection this node has not yet seen die.
    if (live !== undefined) sessions.supersede(sessionId, live)
    route.session = session
  }

  /**
   * A connection opened: a roomcast client gets its session frame, and its
   * session back when it resumed one. Resolves before the route handler runs.
   */
  async opened(conn: Connection, route: ConnectionRoute): Promise<void> {
    if (route.hello === undefined) return
    const sessions = this.#sessions
    const sessionId = sessions && randomBytes(18).toString('base64url')
    const link: DurableLink = {
      client: true,
      catchUp: undefined,
      sessionId,
      previousId: route.session?.id,
      restoring: false,
      superseded: false,
    }
    conn.durable = link
    if (sessionId !== undefined) sessions?.opened(sessionId, conn)
    const announce = (recovered: boolean) => {
      conn.recovered = recovered
      conn.sendControl({ t: 'session', id: sessionId ?? '', conn: conn.id, recovered })
    }
    const session = route.session
    if (session === undefined) announce(false)
    else await this.#restore(conn, link, session, route.hello.positions, announce)
    this.#sessions?.changed(conn)
  }

  /** A room joined: who needs a catch-up gets one. */
  joined(conn: Connection, room: string, history: number | undefined): void {
    const link = conn.durable
    if (link?.restoring) return
    this.#sessions?.changed(conn)
    if (this.#rules.of(room) === undefined) return
    const client = link?.client === true
    // Over a bus, kept broadcasts reach local members from the bus: a new member reads what
    // went out while its node subscribed.
    const echoed = this.#store().shared
    const wanted = history !== undefined && history > 0
    if (!client && !wanted && !echoed) return
    const from: CatchUpFrom = wanted
      ? { last: history }
      : echoed
        ? { since: Date.now() }
        : { last: 0 }
    this.#catchUpOf(conn).add(room, from)
  }

  left(conn: Connection, room: string): void {
    const link = conn.durable
    if (link === undefined) return
    link.catchUp?.remove(room)
    if (link.client && !link.restoring && this.#rules.of(room) !== undefined) {
      conn.sendControl({ t: 'leave', room })
    }
    this.#sessions?.changed(conn)
  }

  /** Keeps a roomcast client's session when it may come back, forgets it when not. */
  closed(conn: Connection, code: number): void {
    this.#sessions?.closed(conn, code)
  }

  /** After the route handler settled: what was queued for the user while nobody was there. */
  async started(conn: Connection): Promise<void> {
    const limits = this.#deps.options.offlineQueue
    const userId = conn.userId
    if (limits === undefined || userId === undefined) return
    try {
      // Subscribed first: a message sent from here on arrives live, not in the queue.
      await this.#deps.adapter.settled()
      for (const message of await this.#store().takeQueued(userId, limits.ttl)) {
        conn.sendPayload(new Payload(message.data, message.binary))
      }
    } catch (error) {
      this.#deps.failed(conn, toError(error))
    }
  }

  /**
   * A room's kept messages, read from the adapter's store (every node's, on Redis).
   * @throws {RoomcastError} `ERR_INVALID_OPTION` when no `history` rule covers the room.
   */
  async history(room: string, query: HistoryQuery = {}): Promise<RoomHistory> {
    assertKnownKeys(query, QUERY_KEYS, { object: 'historyQuery', scope: 'history()' })
    const checked: HistoryQuery = {}
    if (query.after !== undefined) checked.after = count('after', query.after)
    if (query.limit !== undefined) checked.limit = count('limit', query.limit, { min: 1 })
    const rule = this.#rules.ofOrThrow(room, 'history()')
    const page = await this.#store().read(room, checked, rule.ttl)
    const messages = page.messages.map((message) => ({
      offset: message.positions.find((position) => position[0] === room)?.[1] ?? 0,
      time: message.time,
      data: message.binary ? message.data : message.data.toString(),
      binary: message.binary,
    }))
    return { room, epoch: page.epoch, head: page.head, messages }
  }

  stop(): void {
    this.#sessions?.stop()
  }

  async #restore(
    conn: Connection,
    link: DurableLink,
    session: SessionSnapshot,
    positions: ClientPositions,
    announce: (recovered: boolean) => void,
  ): Promise<void> {
    const seeded = conn.metadata
    // Every way into a room passes authorizeJoin: one room refused and nothing is restored.
    if (this.#deps.options.authorizeJoin !== undefined) {
      const allowed = await Promise.all(session.rooms.map((room) => conn.mayJoin(room)))
      if (allowed.includes(false)) {
        announce(false)
        return
      }
    }
    const kept = session.rooms.filter((room) => this.#rules.of(room) !== undefined)
    const others = session.rooms.filter((room) => this.#rules.of(room) === undefined)
    const wanted = new Map<string, readonly [number, string]>()
    for (const room of kept) {
      const position = positions.get(room)
      if (position !== undefined) wanted.set(room, position)
    }
    if (wanted.size < kept.length) {
      announce(false) // a history room it has no position in: it may have missed anything
      return
    }
    /** Joins or leaves as the session's, not as the application's own. */
    const restoring = (change: () => void) => {
      link.restoring = true
      try {
        change()
      } finally {
        link.restoring = false
      }
    }
    const joinAll = (rooms: readonly string[]) =>
      restoring(() => {
        for (const room of rooms) conn.join(room)
      })
    const leaveAll = () =>
      restoring(() => {
        for (const room of kept) conn.leave(room)
      })
    const apply = (recovered: boolean) => {
      if (recovered) {
        // The new handshake's identity (a fresh token's claims) wins over the session's copy.
        conn.metadata = { ...session.metadata, ...seeded }
        joinAll(others)
      } else leaveAll()
      announce(recovered)
    }
    if (kept.length === 0) {
      apply(true)
      return
    }
    try {
      joinAll(kept)
    } catch (error) {
      // Past maxRoomsPerConnection now, say: start fresh rather than half restored.
      leaveAll()
      this.#deps.failed(conn, toError(error))
      announce(false)
      return
    }
    await this.#catchUpOf(conn).recover(wanted, apply)
  }

  /**
   * One read of a room for every catch-up that can use it: a read begun
   * after a connection's hold began misses nothing the hold does not catch.
   * A thousand clients recovering at once then cost a handful of reads.
   */
  #sharedRead(room: string, since: number): Promise<HistoryPage> {
    const shared = this.#reads.get(room)
    if (shared !== undefined && shared.issued > since) return shared.page
    const issued = ++this.#clock
    const page = this.#store().read(room, {}, this.#rules.of(room)?.ttl ?? 1)
    this.#reads.set(room, { issued, page })
    const done = () => {
      if (this.#reads.get(room)?.page === page) this.#reads.delete(room)
    }
    page.then(done, done)
    return page
  }

  #catchUpOf(conn: Connection): CatchUp {
    conn.durable ??= {
      client: false,
      catchUp: undefined,
      sessionId: undefined,
      previousId: undefined,
      restoring: false,
      superseded: false,
    }
    const link = conn.durable
    link.catchUp ??= new CatchUp({
      ids: link.previousId === undefined ? [conn.id] : [conn.id, link.previousId],
      client: link.client,
      rooms: () => new Set(conn.getRooms()),
      write: (payload) => conn.writeCaughtUp(payload),
      control: (header) => conn.sendControl(header),
      settled: () => this.#deps.adapter.settled(),
      read: (room, since) => this.#sharedRead(room, since),
      stamp: () => ++this.#clock,
      failed: (error) => this.#deps.failed(conn, error),
    })
    return link.catchUp
  }

  #store(): DurableStore {
    return this.#storeOrThrow('history')
  }

  #storeOrThrow(option: string): DurableStore {
    const store = this.#deps.adapter.store
    if (store !== undefined) return store
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      `Invalid option "${option}": the adapter keeps no history, sessions or queues; use the memory adapter or roomcast/redis`,
    )
  }
}
