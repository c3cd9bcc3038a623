/** An in-memory connection and server for controller unit tests: records replies, toggles isOpen, holds rooms. */
import { ErrorCode, MaxRoomsExceededError, RoomcastError } from '../../src/errors.ts'
import {
  type ControllerConnection,
  type ControllerRoute,
  ControllerRouter,
  type DispatchDeps,
} from '../../src/message/controllers.ts'
import { within } from './timeout.ts'

/** Records what is sent (as the JSON a client would parse); `close()` flips `isOpen` and aborts. */
export class FakeConn implements ControllerConnection {
  readonly id: string
  isOpen = true
  maxRooms = Number.POSITIVE_INFINITY
  readonly sent: unknown[] = []
  readonly rooms = new Set<string>()
  readonly #abort = new AbortController()

  constructor(id = 'c1') {
    this.id = id
  }

  get signal(): AbortSignal {
    return this.#abort.signal
  }

  json(value: unknown): boolean {
    if (!this.isOpen) return false
    this.sent.push(JSON.parse(JSON.stringify(value)))
    return true
  }

  join(room: string): void {
    if (room.length === 0) throw new RoomcastError(ErrorCode.InvalidRoom, 'bad room')
    if (!this.rooms.has(room) && this.rooms.size >= this.maxRooms) {
      throw new MaxRoomsExceededError(room, this.maxRooms)
    }
    this.rooms.add(room)
  }

  leave(room: string): void {
    this.rooms.delete(room)
  }

  getRooms(): string[] {
    return [...this.rooms]
  }

  close(): void {
    this.isOpen = false
    this.#abort.abort()
  }
}

/** Stands in for RoomcastServer in seed 004's controller. */
export class FakeServer {
  readonly broadcasts: { data: unknown; excludeClientId?: string }[] = []
  broadcastToAllClients(options: { data: unknown; excludeClientId?: string }): void {
    this.broadcasts.push(options)
  }
}

export type Deps = DispatchDeps<FakeConn, FakeServer> & { reported: Error[]; dropped: number }

export function makeDeps(fallthrough = false): Deps {
  const deps: Deps = {
    server: new FakeServer(),
    fallthrough,
    reported: [],
    dropped: 0,
    reportError: (_conn, error) => deps.reported.push(error),
    replyDropped: () => {
      deps.dropped++
    },
  }
  return deps
}

export function setup(routes: ControllerRoute<FakeConn, FakeServer>[], fallthrough = false) {
  const router = new ControllerRouter<FakeConn, FakeServer>().add(routes)
  return { router, conn: new FakeConn(), deps: makeDeps(fallthrough) }
}

/** Dispatches and waits for any async work; returns the sent messages. */
export async function send(
  { router, conn, deps }: ReturnType<typeof setup>,
  message: unknown,
): Promise<unknown[]> {
  await within(Promise.resolve(router.dispatch(conn, message, deps)), 1000, 'dispatch')
  return conn.sent
}
