/**
 * A connection catching up on rooms it just joined (or got back): live
 * messages of those rooms are held while their streams are read, the
 * streams' messages go out first, then the held ones that were not among
 * them. So a member sees a room's past and present with no gap and no repeat.
 */
import type { HistoryPage, KeptMessage } from '../adapter/index.js'
import { type ControlHeader, Payload, type RoomPosition } from '../fanout/index.js'

/** What to read of one room: the newest `last`, those after `after`, or those since a time. */
export type CatchUpFrom = { last: number } | { after: number } | { since: number }

/** What the catch-up needs of its connection and the server. */
export interface CatchUpHost {
  /** The connection's id, and a recovered session's earlier one: `except` may name either. */
  readonly ids: readonly string[]
  /** Whether the connection speaks the roomcast protocol (positions, control frames). */
  readonly client: boolean
  /** Rooms the connection is in, for the `except` of kept messages. */
  rooms(): ReadonlySet<string>
  /** Writes past the hold. */
  write(payload: Payload): void
  control(header: ControlHeader): void
  settled(): Promise<void>
  /** Reads a room; `since` is when its hold began (a read begun later may be shared). */
  read(room: string, since: number): Promise<HistoryPage>
  /** A clock that orders hold starts and reads. */
  stamp(): number
  failed(error: Error): void
}

/** The key that tells copies of one kept broadcast apart from others. */
function keyOf(positions: readonly RoomPosition[]): string {
  return JSON.stringify(positions)
}

export class CatchUp {
  readonly #host: CatchUpHost
  /** Rooms waiting for their read. */
  #pending = new Map<string, CatchUpFrom>()
  /** Rooms whose read is out. */
  #reading = new Map<string, CatchUpFrom>()
  /**
   * Newest offset each caught-up room's read covered, after the hold ended:
   * a live copy of a replayed message that arrives late (Redis replies and
   * pub/sub come on different sockets) is dropped, until a newer one comes.
   */
  readonly #stale = new Map<string, number>()
  /** Newest offset each caught-up room's read covered, until the hold ends. */
  readonly #covered = new Map<string, number>()
  readonly #held: Payload[] = []
  #running = false

  constructor(host: CatchUpHost) {
    this.#host = host
  }

  /** Whether anything is still held or read. */
  get active(): boolean {
    return this.#running || this.#pending.size > 0
  }

  /** Starts holding `room`'s live messages and reads it from `from`. */
  add(room: string, from: CatchUpFrom): void {
    this.#pending.set(room, from)
    if (this.#running) return
    this.#running = true
    void this.#run(undefined)
  }

  /**
   * A recovery: holds every history room of the session, reads them all, and
   * replays only if each still has everything after the client's position in
   * the same epoch (never part of it). `decide` runs before anything is sent.
   * @returns whether the session was recovered.
   */
  recover(
    positions: ReadonlyMap<string, readonly [offset: number, epoch: string]>,
    decide: (recovered: boolean) => void,
  ): Promise<boolean> {
    for (const [room, [after]] of positions) this.#pending.set(room, { after })
    this.#running = true
    return this.#run({ positions, decide })
  }

  /** The connection left `room`: nothing of it is owed any more. */
  remove(room: string): void {
    this.#pending.delete(room)
    this.#reading.delete(room)
    this.#covered.delete(room)
    this.#stale.delete(room)
  }

  /**
   * Holds a message while a room is caught up, or drops a late copy of one
   * already replayed. @returns whether it was taken (not to be written).
   */
  hold(payload: Payload): boolean {
    // While catching up everything waits, kept or not: history comes before any live message.
    if (this.#pending.size > 0 || this.#reading.size > 0 || this.#covered.size > 0) {
      this.#held.push(payload)
      return true
    }
    const positions = payload.positions
    if (positions === undefined) return false
    return this.#stale.size > 0 && this.#replayedBefore(positions)
  }

  #dropHeldIn(rooms: ReadonlyMap<string, CatchUpFrom>): void {
    const kept = this.#held.filter((p) => !p.positions?.some(([room]) => rooms.has(room)))
    this.#held.splice(0, this.#held.length, ...kept)
  }

  #replayedBefore(positions: readonly RoomPosition[]): boolean {
    let stale = false
    for (const [room, offset] of positions) {
      const head = this.#stale.get(room)
      if (head === undefined) return false
      if (offset > head) {
        // One socket orders a room: nothing older can follow.
        this.#stale.delete(room)
        return false
      }
      stale = true
    }
    return stale
  }

  async #run(recovery: Recovery | undefined): Promise<boolean> {
    let recovered = false
    try {
      while (this.#pending.size > 0) {
        const batch = this.#pending
        this.#pending = new Map()
        this.#reading = batch
        // Subscriptions first: everything published from here on arrives live (and is held).
        const since = this.#host.stamp()
        await this.#host.settled()
        const rooms = [...batch.keys()]
        const pages = await Promise.all(rooms.map((room) => this.#host.read(room, since)))
        if (recovery !== undefined) {
          const { positions } = recovery
          recovered = pages.every((page) => resumable(page, positions.get(page.room)))
          recovery.decide(recovered)
          recovery = undefined
          if (!recovered) {
            // Starting fresh: the session's rooms are left, but not what came for the connection itself.
            this.#dropHeldIn(batch)
            continue
          }
        }
        this.#replay(pages)
        this.#reading = new Map()
      }
    } catch (error) {
      if (recovery !== undefined) {
        recovery.decide(false)
        this.#dropHeldIn(this.#reading)
      }
      this.#host.failed(error as Error)
    } finally {
      this.#reading = new Map()
      this.#release()
      this.#running = false
    }
    return recovered
  }

  #replay(pages: HistoryPage[]): void {
    const host = this.#host
    const rooms = host.rooms()
    const sent = new Set<string>()
    for (const page of pages) {
      // Left while the read was out (removed from what is read): owe it nothing.
      const from = this.#reading.get(page.room)
      if (from === undefined || !rooms.has(page.room)) continue
      for (const message of pick(page, from)) {
        const key = keyOf(message.positions)
        if (sent.has(key) || skips(message, host.ids, rooms)) continue
        sent.add(key)
        host.write(new Payload(message.data, message.binary, message.positions))
      }
      this.#covered.set(page.room, page.head)
      if (host.client) {
        host.control({ t: 'join', room: page.room, offset: page.head, epoch: page.epoch })
      }
    }
  }

  /** Sends what was held and not already replayed, in arrival order; then live. */
  #release(): void {
    if (this.#pending.size > 0) return
    const held = this.#held.splice(0)
    const covered = new Map(this.#covered)
    this.#covered.clear()
    for (const [room, head] of covered) this.#stale.set(room, head)
    for (const payload of held) {
      if (!replayed(payload, covered)) this.#host.write(payload)
    }
  }
}

interface Recovery {
  positions: ReadonlyMap<string, readonly [offset: number, epoch: string]>
  decide(recovered: boolean): void
}

/** The same stream, and nothing after `position` trimmed or expired. */
function resumable(page: HistoryPage, position: readonly [number, string] | undefined): boolean {
  if (position === undefined) return false
  const [offset, epoch] = position
  return epoch === page.epoch && offset <= page.head && offset >= page.first - 1
}

function pick(page: HistoryPage, from: CatchUpFrom): KeptMessage[] {
  const { messages, room } = page
  if ('last' in from) return from.last === 0 ? [] : messages.slice(-from.last)
  if ('after' in from) {
    return messages.filter((m) => (m.positions.find((p) => p[0] === room)?.[1] ?? 0) > from.after)
  }
  return messages.filter((m) => m.time >= from.since)
}

/** A kept broadcast that skipped this connection, or a room it is in, skips it on replay too. */
function skips(message: KeptMessage, ids: readonly string[], rooms: ReadonlySet<string>): boolean {
  return message.except?.some((name) => ids.includes(name) || rooms.has(name)) === true
}

/** Whether every position of `payload` in a caught-up room is one the read covered. */
function replayed(payload: Payload, covered: ReadonlyMap<string, number>): boolean {
  let inCaughtUpRoom = false
  for (const [room, offset] of payload.positions ?? []) {
    const head = covered.get(room)
    if (head === undefined) continue
    if (offset > head) return false
    inCaughtUpRoom = true
  }
  return inCaughtUpRoom
}
