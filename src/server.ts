/** createWebSocket(): the server's lifecycle, route table, wiring and server-level API. */
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { WebSocketServer as WsServer } from 'ws'
import { type BroadcastTarget, fanOut } from './broadcast.js'
import {
  allClientsTarget,
  type BroadcastToAllClientsOptions,
  type BroadcastToRoomOptions,
  toAnyPayload,
} from './broadcast-forms.js'
import { BroadcastOperator, type Excluded } from './broadcast-operator.js'
import { CloseCode } from './close-codes.js'
import { Connection, type ConnectionHost } from './connection.js'
import { ErrorCode, MaxRoomsExceededError, RoomcastError } from './errors.js'
import { writeRejection } from './handshake.js'
import { createHeartbeat } from './heartbeat.js'
import { invokeHook } from './hooks.js'
import { type ConnectMiddleware, createUpgradeMiddleware } from './http-middleware.js'
import { type ResolvedOptions, resolveOptions, type WebSocketOptions } from './options.js'
import { type Payload, toJsonPayload, toPayload } from './payload.js'
import { assertRoomName, RoomIndex } from './rooms.js'
import { RouteTable, splitPath } from './route.js'
import { createErrorReporter, startConnection } from './startup.js'
import { StatsCounter, type WebSocketStats } from './stats.js'
import type { Middleware, RouteHandler, SendData, WSConnection } from './types.js'
import { createUpgradePipeline, type UpgradePipeline } from './upgrade.js'
import { WriteBatch } from './write-batch.js'

/** A connection, or its id, that a broadcast skips. */
export type BroadcastExclude = WSConnection | string

type AttachableServer = HttpServer | HttpsServer
type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

function exceptOf(exclude: BroadcastExclude | undefined): string[] | undefined {
  if (exclude === undefined) return undefined
  if (typeof exclude === 'string') return [exclude]
  if (typeof exclude === 'object' && exclude !== null && typeof exclude.id === 'string') {
    return [exclude.id]
  }
  throw new TypeError('exclude must be a connection or a connection id')
}

function compilePaths(paths: readonly string[]): RouteTable<undefined> {
  const table = new RouteTable<undefined>()
  for (const path of paths) {
    try {
      table.add(path, undefined)
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause)
      throw new RoomcastError(ErrorCode.InvalidOption, `Invalid option "path": ${reason}`, {
        cause,
      })
    }
  }
  return table
}

/**
 * A WebSocket server with routes, middleware, rooms and broadcasting. Create
 * it with {@link createWebSocket}, register routes, then `attach()` it.
 */
export class RoomcastServer {
  readonly #options: ResolvedOptions
  readonly #wsServer: WsServer
  readonly #routes = new RouteTable<RouteHandler>()
  readonly #paths: RouteTable<undefined>
  readonly #middleware: Middleware[] = []
  readonly #connections = new Map<string, Connection>()
  readonly #rooms = new RoomIndex()
  readonly #stats = new StatsCounter()
  readonly #heartbeat: ReturnType<typeof createHeartbeat>
  readonly #attached = new Map<AttachableServer, UpgradeListener>()
  readonly #drainWaiters = new Set<() => void>()
  readonly #reportError: (conn: Connection, error: Error) => void
  readonly #host: ConnectionHost
  readonly #upgrade: UpgradePipeline
  #closing: Promise<void> | undefined

  constructor(options: WebSocketOptions = {}) {
    const resolved = resolveOptions(options)
    this.#options = resolved
    this.#paths = compilePaths(resolved.paths)
    const preferred = resolved.subprotocols
    this.#wsServer = new WsServer({
      noServer: true,
      clientTracking: false,
      maxPayload: resolved.maxPayload,
      perMessageDeflate: resolved.perMessageDeflate,
      // Server preference order: the first of ours the client also offers.
      handleProtocols: (offered) => preferred.find((p) => offered.has(p)) ?? false,
    })
    // Header errors only ws checks (malformed Sec-WebSocket-Protocol/-Extensions) are all 400s.
    this.#wsServer.on('wsClientError', (error, socket) => {
      this.#stats.rejected(400)
      writeRejection(socket, { status: 400, message: error.message })
    })
    this.#heartbeat = createHeartbeat({
      interval: resolved.heartbeatInterval,
      timeout: resolved.clientTimeout,
      targets: () => this.#connections.values(),
    })
    this.#reportError = createErrorReporter(resolved)
    this.#host = this.#createHost()
    this.#upgrade = createUpgradePipeline({
      options: resolved,
      wsServer: this.#wsServer,
      isClosing: () => this.#closing !== undefined,
      route: (segments) => this.#routes.match(segments) ?? this.#paths.match(segments),
      connectionCount: () => this.#connections.size,
      rejected: (status) => this.#stats.rejected(status),
      accept: (socket, request, target) => {
        const conn = new Connection(this.#host, socket, request, target)
        this.#connections.set(conn.id, conn)
        this.#stats.connectionsTotal++
        this.#heartbeat.start()
        void startConnection(conn, target.handler, {
          onConnection: resolved.onConnection,
          middleware: this.#middleware,
          reportError: this.#reportError,
        })
      },
    })
  }

  /**
   * Registers a route: exact (`/chat`), with parameters (`/chat/:room`) or a
   * wildcard (`/files/*`, `*`). The most specific route wins.
   * @throws {RoomcastError} `ERR_DUPLICATE_ROUTE` or `ERR_INVALID_ROUTE`.
   */
  on(path: string, handler: RouteHandler): this {
    if (typeof handler !== 'function') throw new TypeError('Route handler must be a function')
    this.#routes.add(path, handler)
    return this
  }

  /** Adds middleware that runs, in registration order, before the route handler. */
  use(middleware: Middleware): this {
    if (typeof middleware !== 'function') throw new TypeError('Middleware must be a function')
    this.#middleware.push(middleware)
    return this
  }

  /**
   * Handles WebSocket upgrades of an http or https server; several servers may
   * be attached. A path no route matches gets 404, unless the server has other
   * `upgrade` listeners (another WebSocket server, a dev server's HMR): then it
   * is left to them.
   * @throws {RoomcastError} `ERR_SERVER_CLOSED` after `close()`.
   */
  attach(server: AttachableServer): this {
    if (this.#closing) {
      throw new RoomcastError(ErrorCode.ServerClosed, 'Cannot attach a closed server')
    }
    if (this.#attached.has(server)) return this
    const listener: UpgradeListener = (request, socket, head) => {
      const unmatched = server.listenerCount('upgrade') > 1 ? 'ignore' : 'reject'
      this.#upgrade.handle(request, socket, head, unmatched)
    }
    server.on('upgrade', listener)
    this.#attached.set(server, listener)
    return this
  }

  /** Runs the handshake pipeline for an upgrade request you received yourself. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgrade.handle(request, socket, head)
  }

  /**
   * Connect/Express-style middleware: sets `req.isWebSocket` and `req.wss` for
   * HTTP routes, and answers 426 to plain HTTP requests on a `wss.on()` route
   * without `*` (a wildcard route would claim the app's own pages too).
   */
  upgrade(): ConnectMiddleware {
    return createUpgradeMiddleware(this, (path) => {
      const segments = splitPath(path)
      const match = segments && this.#routes.match(segments)
      return match !== undefined && !match.pattern.includes('*')
    })
  }

  /** A broadcast to the members of `rooms`; chain `except`, `filter`, `volatile`, then `send`/`json`. */
  to(...rooms: string[]): BroadcastOperator {
    return this.#operator().to(...rooms)
  }

  /** A broadcast to every connection except these connections, ids or rooms' members. */
  except(...excluded: Excluded[]): BroadcastOperator {
    return this.#operator().except(...excluded)
  }

  /** A broadcast to every connection `predicate` accepts. */
  filter(predicate: (conn: WSConnection) => boolean): BroadcastOperator {
    return this.#operator().filter(predicate)
  }

  /** A broadcast that connections with unsent data skip. */
  get volatile(): BroadcastOperator {
    return this.#operator().volatile
  }

  /** Sends `data` to every connection. @returns how many connections it reached. */
  broadcast(data: SendData, exclude?: BroadcastExclude): number {
    return this.#fanOut({ except: exceptOf(exclude) }, toPayload(data))
  }

  broadcastJson(value: unknown, exclude?: BroadcastExclude): number {
    return this.#fanOut({ except: exceptOf(exclude) }, toJsonPayload(value))
  }

  /** Sends `data` to every member of `room`. @returns how many connections it reached. */
  broadcastToRoom(room: string, data: SendData, exclude?: BroadcastExclude): number
  /** Seed 004's form: `{ roomName, data, excludeClientId }`, objects sent as JSON. */
  broadcastToRoom(options: BroadcastToRoomOptions): number
  broadcastToRoom(
    roomOrOptions: string | BroadcastToRoomOptions,
    data?: SendData,
    exclude?: BroadcastExclude,
  ): number {
    if (typeof roomOrOptions === 'object' && roomOrOptions !== null) {
      const { roomName, excludeClientId } = roomOrOptions
      assertRoomName(roomName)
      const target = { rooms: [roomName], except: exceptOf(excludeClientId) }
      return this.#fanOut(target, toAnyPayload(roomOrOptions.data))
    }
    assertRoomName(roomOrOptions)
    return this.#fanOut(
      { rooms: [roomOrOptions], except: exceptOf(exclude) },
      toPayload(data as SendData),
    )
  }

  /** Seed 004: every connection but `excludeClientId`, those `predicate` accepts. */
  broadcastToAllClients(options: BroadcastToAllClientsOptions): number {
    return this.#fanOut(allClientsTarget(options), toAnyPayload(options.data))
  }

  /** Seed 004: one connection by id. @returns 1 when it was sent, else 0. */
  broadcastToClient(options: { clientId: string; data: unknown }): number {
    const conn = this.#connections.get(options.clientId)
    return conn?.sendPayload(toAnyPayload(options.data)) ? 1 : 0
  }

  /** Seed 004's `sendToRooms`: the members of any of `rooms`, each once; objects as JSON. */
  sendToRooms(rooms: string[], data: unknown): number {
    if (!Array.isArray(rooms))
      throw new TypeError('sendToRooms(rooms, data): rooms must be an array')
    for (const room of rooms) assertRoomName(room)
    return this.#fanOut({ rooms }, toAnyPayload(data))
  }

  broadcastJsonToRoom(room: string, value: unknown, exclude?: BroadcastExclude): number {
    assertRoomName(room)
    return this.#fanOut({ rooms: [room], except: exceptOf(exclude) }, toJsonPayload(value))
  }

  getConnections(): WSConnection[] {
    return [...this.#connections.values()]
  }

  getConnection(id: string): WSConnection | undefined {
    return this.#connections.get(id)
  }

  getConnectionCount(): number {
    return this.#connections.size
  }

  /** Names of the rooms that have at least one member. */
  getRooms(): string[] {
    return this.#rooms.rooms()
  }

  getRoomConnections(room: string): WSConnection[] {
    const members = this.#rooms.membersOf(room) ?? []
    return [...members].flatMap((id) => this.#connections.get(id) ?? [])
  }

  getStats(): WebSocketStats {
    return this.#stats.snapshot(this.#connections.size, this.#rooms.size)
  }

  /** Closes every connection with `code` and `reason`; the server keeps accepting. */
  closeAll(code: number = CloseCode.GoingAway, reason = ''): void {
    for (const conn of this.#connections.values()) conn.close(code, reason)
  }

  /**
   * Stops accepting (handshakes in progress or arriving get 503), stops the
   * heartbeat, closes every connection with 1001 and waits for them,
   * terminating those still open after `closeTimeout`, then detaches from
   * every server. Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#heartbeat.stop()
    this.#upgrade.abortPending()
    this.closeAll(CloseCode.GoingAway, 'Server shutting down')
    await this.#whenDrained(this.#options.closeTimeout)
    for (const conn of this.#connections.values()) conn.terminate()
    await this.#whenDrained(this.#options.closeTimeout)
    for (const [server, listener] of this.#attached) server.off('upgrade', listener)
    this.#attached.clear()
    this.#wsServer.removeAllListeners()
    this.#wsServer.close()
  }

  #whenDrained(timeout: number): Promise<void> {
    if (this.#connections.size === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#drainWaiters.delete(done)
        resolve()
      }
      const timer = setTimeout(done, timeout)
      this.#drainWaiters.add(done)
    })
  }

  #fanOut(target: BroadcastTarget<WSConnection>, payload: Payload): number {
    return fanOut(target, payload, this.#connections, this.#rooms)
  }

  #operator(): BroadcastOperator {
    return new BroadcastOperator((target, payload) => this.#fanOut(target, payload))
  }

  /** The one place connections touch membership: a later adapter replaces these. */
  #createHost(): ConnectionHost {
    const options = this.#options
    const rooms = this.#rooms
    return {
      stats: this.#stats,
      maxQueuedBytes: options.maxQueuedBytes,
      maxBackpressure: options.maxBackpressure,
      backpressurePolicy: options.backpressurePolicy,
      closeTimeout: options.closeTimeout,
      compression: options.compression,
      deflateThreshold: options.deflateThreshold,
      writes: new WriteBatch(),
      join: (conn, room) => {
        if (rooms.roomsOf(conn.id)?.has(room)) return
        const limit = options.maxRoomsPerConnection
        if (limit > 0 && rooms.roomCountOf(conn.id) >= limit) {
          throw new MaxRoomsExceededError(room, limit)
        }
        rooms.add(conn.id, room)
      },
      leave: (conn, room) => rooms.remove(conn.id, room),
      leaveAll: (conn) => rooms.removeAll(conn.id),
      roomsOf: (conn) => rooms.roomsOf(conn.id) ?? [],
      fanOut: (target, payload) => this.#fanOut(target, payload),
      reportError: (conn, error) => this.#reportError(conn, error),
      connectionClosed: (conn, code, reason) => {
        this.#connections.delete(conn.id)
        rooms.removeAll(conn.id)
        invokeHook(options.onClose, [conn, code, reason], (error) => this.#reportError(conn, error))
        if (this.#connections.size === 0) for (const done of this.#drainWaiters) done()
      },
    }
  }
}

/**
 * Creates a WebSocket server. Options are checked at once.
 * @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option.
 * @example
 * const wss = createWebSocket({ maxConnections: 1000 })
 * wss.on('/chat/:room', (conn) => {
 *   conn.join(conn.params.room)
 *   conn.on('message', (text) => conn.broadcast(conn.params.room, text))
 * })
 * wss.attach(httpServer)
 */
export function createWebSocket(options?: WebSocketOptions): RoomcastServer {
  return new RoomcastServer(options)
}
