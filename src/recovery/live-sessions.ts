/**
 * Sessions of open roomcast-client connections. In a shared store (Redis)
 * they are written while the connection is open (again after each change,
 * and periodically), so a node killed outright leaves them behind for
 * `maxDisconnection` ms; on close they are kept or forgotten by close code.
 */
import type { DurableStore } from '../adapter/index.js'
import type { Connection } from '../connection/index.js'
import { toError } from '../errors.js'
import type { ResolvedRecovery, SessionSnapshot } from '../options/index.js'

/**
 * Closes a client can come back from: the network, a restart, an overload,
 * and an expired token (4001), which a fresh token of the same user resumes.
 */
const TRANSIENT_CLOSES = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014, 4001])

export function snapshot(conn: Connection): SessionSnapshot {
  return { id: conn.id, userId: conn.userId, metadata: conn.metadata, rooms: conn.getRooms() }
}

export class LiveSessions {
  readonly #recovery: ResolvedRecovery
  readonly #store: () => DurableStore
  readonly #error: (error: Error) => void
  /** Open connections, by session id. */
  readonly #live = new Map<string, Connection>()
  /** Sessions to write again. */
  readonly #dirty = new Set<Connection>()
  /** How often live sessions are written again: often enough, not every second for long windows. */
  readonly #period: number
  #flush: NodeJS.Immediate | undefined
  #refresh: NodeJS.Timeout | undefined

  constructor(recovery: ResolvedRecovery, store: () => DurableStore, error: (e: Error) => void) {
    this.#recovery = recovery
    this.#store = store
    this.#error = error
    this.#period = Math.min(Math.max(recovery.maxDisconnection / 2, 1000), 60_000)
  }

  get(sessionId: string): Connection | undefined {
    return this.#live.get(sessionId)
  }

  opened(sessionId: string, conn: Connection): void {
    this.#live.set(sessionId, conn)
  }

  /** Taken over by a newer connection of the same session: its close keeps nothing. */
  supersede(sessionId: string, conn: Connection): void {
    if (conn.durable !== undefined) conn.durable.superseded = true
    this.#live.delete(sessionId)
    conn.terminate()
  }

  /** The session changed (opened, a join, a leave): a shared store gets it again. */
  changed(conn: Connection): void {
    if (conn.durable?.sessionId === undefined || !this.#store().shared) return
    this.#dirty.add(conn)
    this.#flush ??= setImmediate(() => this.#write([...this.#dirty]))
    this.#refresh ??= setInterval(() => this.#write([...this.#live.values()]), this.#period).unref()
  }

  /** Keeps the session when the client may come back, forgets it when not. */
  closed(conn: Connection, code: number): void {
    const link = conn.durable
    const sessionId = link?.sessionId
    if (link === undefined || sessionId === undefined) return
    this.#live.delete(sessionId)
    this.#dirty.delete(conn)
    if (link.superseded) return
    const store = this.#store()
    const done = TRANSIENT_CLOSES.has(conn.closeSent?.code ?? code)
      ? store.saveSession(sessionId, snapshot(conn), this.#recovery.maxDisconnection)
      : store.deleteSession(sessionId)
    done.catch((error: unknown) => this.#error(toError(error)))
  }

  stop(): void {
    clearImmediate(this.#flush)
    clearInterval(this.#refresh)
  }

  #write(conns: Connection[]): void {
    this.#flush = undefined
    this.#dirty.clear()
    // Alive a refresh period beyond maxDisconnection: a node dying just before one still leaves it that long.
    const ttl = this.#recovery.maxDisconnection + this.#period
    const store = this.#store()
    for (const conn of conns) {
      const sessionId = conn.durable?.sessionId
      if (sessionId === undefined || !conn.isOpen) continue
      store.saveSession(sessionId, snapshot(conn), ttl).catch((error: unknown) => {
        this.#error(toError(error))
      })
    }
  }
}
