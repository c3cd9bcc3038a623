/** Room membership index: room → members and member → rooms. Pure data structure. */
import { ErrorCode, RoomcastError } from './errors.js'

export const MAX_ROOM_NAME_LENGTH = 256

/** Printable ASCII: most room names, checked without normalizing. */
const PLAIN = /^[\x20-\x7e]*$/
/** C0 and C1 controls, NUL among them: invisible in logs, and a trap in Redis channel names. */
const CONTROL = /\p{Cc}/u

function invalidRoom(detail: string): RoomcastError {
  return new RoomcastError(ErrorCode.InvalidRoom, `Room name must be ${detail}`)
}

/**
 * @throws {RoomcastError} `ERR_INVALID_ROOM` unless `room` is a 1–256
 * character string without control characters (NUL included), in Unicode
 * NFC (so one name has one spelling: `é` is never also `e` + U+0301).
 */
export function assertRoomName(room: unknown): asserts room is string {
  if (typeof room !== 'string' || room.length === 0 || room.length > MAX_ROOM_NAME_LENGTH) {
    const shown = typeof room === 'string' ? `a string of length ${room.length}` : typeof room
    throw invalidRoom(
      `a non-empty string of at most ${MAX_ROOM_NAME_LENGTH} characters, got ${shown}`,
    )
  }
  if (PLAIN.test(room)) return
  if (CONTROL.test(room))
    throw invalidRoom(`free of control characters, got ${JSON.stringify(room)}`)
  if (room.normalize('NFC') !== room) {
    throw invalidRoom(`in Unicode NFC: use room.normalize('NFC'), got ${JSON.stringify(room)}`)
  }
}

/** Both directions of membership, kept in step; empty rooms are removed at once. */
export class RoomIndex {
  readonly #members = new Map<string, Set<string>>()
  /** A member of one room (most are) is stored as that name: a Set per member costs ~170 bytes. */
  readonly #roomsOf = new Map<string, string | Set<string>>()

  /** @returns `false` when `id` was already in `room`. */
  add(id: string, room: string): boolean {
    const rooms = this.#roomsOf.get(id)
    if (rooms === undefined) this.#roomsOf.set(id, room)
    else if (typeof rooms === 'string') {
      if (rooms === room) return false
      this.#roomsOf.set(id, new Set([rooms, room]))
    } else {
      if (rooms.has(room)) return false
      rooms.add(room)
    }
    let members = this.#members.get(room)
    if (members === undefined) {
      members = new Set()
      this.#members.set(room, members)
    }
    members.add(id)
    return true
  }

  /** @returns `false` when `id` was not in `room`. */
  remove(id: string, room: string): boolean {
    const rooms = this.#roomsOf.get(id)
    if (rooms === room) this.#roomsOf.delete(id)
    else if (typeof rooms !== 'object' || !rooms.delete(room)) return false
    else if (rooms.size === 1) this.#roomsOf.set(id, rooms.values().next().value as string)
    this.#removeMember(id, room)
    return true
  }

  removeAll(id: string): void {
    const rooms = this.#roomsOf.get(id)
    if (rooms === undefined) return
    if (typeof rooms === 'string') this.#removeMember(id, rooms)
    else for (const room of rooms) this.#removeMember(id, room)
    this.#roomsOf.delete(id)
  }

  #removeMember(id: string, room: string): void {
    const members = this.#members.get(room)
    members?.delete(id)
    if (members?.size === 0) this.#members.delete(room)
  }

  has(id: string, room: string): boolean {
    const rooms = this.#roomsOf.get(id)
    return rooms === room || (typeof rooms === 'object' && rooms.has(room))
  }

  /** A copy when the member is in one room; read it for what it holds, not to keep. */
  roomsOf(id: string): ReadonlySet<string> | undefined {
    const rooms = this.#roomsOf.get(id)
    return typeof rooms === 'string' ? new Set([rooms]) : rooms
  }

  membersOf(room: string): ReadonlySet<string> | undefined {
    return this.#members.get(room)
  }

  roomCountOf(id: string): number {
    const rooms = this.#roomsOf.get(id)
    return rooms === undefined ? 0 : typeof rooms === 'string' ? 1 : rooms.size
  }

  rooms(): string[] {
    return [...this.#members.keys()]
  }

  get size(): number {
    return this.#members.size
  }
}
