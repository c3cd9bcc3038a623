/** Where the client stands in each history room: `{ room: [offset, epoch] }`, and the duplicate rule. */
import type { RoomPosition } from './control-frames.js'

type Position = readonly [offset: number, epoch: string]

/** Per-room positions from `msg` and `join` frames, sent back as `roomcast_positions` on reconnect. */
export class Positions {
  readonly #rooms = new Map<string, Position>()

  /**
   * Takes a `msg` frame's positions. `false` means a duplicate: for every
   * listed room the client already holds the same epoch and an offset at
   * least as high. Otherwise the positions are stored and `true` returned.
   */
  accept(positions: readonly RoomPosition[]): boolean {
    const duplicate =
      positions.length > 0 &&
      positions.every(([room, offset, epoch]) => this.#covers(room, offset, epoch))
    if (duplicate) return false
    for (const [room, offset, epoch] of positions) this.join(room, offset, epoch)
    return true
  }

  /** Stores a position unless the same epoch is already held further along. */
  join(room: string, offset: number, epoch: string): void {
    if (!this.#covers(room, offset + 1, epoch)) this.#rooms.set(room, [offset, epoch])
  }

  /** Forgets a room the connection left. */
  leave(room: string): void {
    this.#rooms.delete(room)
  }

  /** Forgets every room: a session that was not recovered starts from nothing. */
  clear(): void {
    this.#rooms.clear()
  }

  /** The `roomcast_positions` value: `{ "<room>": [offset, "<epoch>"] }`. */
  toJSON(): Record<string, [number, string]> {
    // fromEntries defines own keys, so a room named "__proto__" stays a room.
    return Object.fromEntries(
      Array.from(this.#rooms, ([room, [offset, epoch]]) => [room, [offset, epoch]]),
    )
  }

  #covers(room: string, offset: number, epoch: string): boolean {
    const held = this.#rooms.get(room)
    return held !== undefined && held[1] === epoch && held[0] >= offset
  }
}
