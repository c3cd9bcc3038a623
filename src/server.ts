/** createWebSocket(): the server's lifecycle, route table, wiring and server-level API. */
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { WebSocketServer as WsServer } from 'ws'
import { type BroadcastTarget, fanOut } from './broadcast.js'
import { Connection, type ConnectionHost } from './connection.js'
import { ErrorCode, RoomcastError } from './errors.js'
import { writeRejection } from './handshake.js'
import { createHeartbeat } from './heartbeat.js'
import { invokeHook } from './hooks.js'
import { type ConnectMiddleware, createUpgradeMiddleware } from './http-middleware.js'
import { runChain } from './middleware.js'
import { type ResolvedOptions, resolveOptions, type WebSocketOptions } from './options.js'
import { type Payload, toJsonPayload, toPayload } from './payload.js'
import { assertRoomName, RoomIndex } from './rooms.js'
import { RouteTable, splitPath } from './route.js'
import { StatsCounter, type WebSocketStats } from './stats.js'
import type { Middleware, RouteHandler, SendData, WSConnection } from './types.js'
import { createUpgradeHandler, type UpgradeHandler } from './upgrade.js'

/** A connection, or its id, that a broadcast skips. */
export type BroadcastExclude = WSConnection | string

type AttachableServer = HttpServer | HttpsServer

function exceptOf(exclude: BroadcastExclude | undefined): ReadonlySet<string> | undefined {
  if (exclude === undefined) return undefined
  if (typeof exclude === 'string') return new Set([exclude])
  if (typeof exclude === 'object' && exclude !== null && typeof exclude.id === 'string') {
    return new Set([exclude.id])
  }
  throw new TypeError('exclude must be a connection or a connection id')
}

/**
 * A WebSocket server with routes, middleware, rooms and broadcasting. Create
 * it with {@link createWebSocket}, register routes, then `attach()` it.
 */
export class RoomcastServer {
  readonly #options: ResolvedOptions
  readonly #wsServer: WsServer
  readonly #routes = new RouteTable<RouteHandler>()
  readonly #paths = new RouteTable<undefined>()
  readonly #middleware: Middleware[] = []
  readonly #connections = new Map<string, Connection>()
  readonly #rooms = new RoomIndex()
  readonly #stats = new StatsCounter()
  readonly #heartbeat: ReturnType<typeof createHeartbeat>
  readonly #attached = new Map<AttachableServer, UpgradeHandler>()
  readonly #drainWaiters = new Set<() => void>()
  readonly #host: ConnectionHost
  readonly #upgrade: UpgradeHandler
  #closing: Promise<void> | undefined

  constructor(options: WebSocketOptions = {}) {
    const resolved = resolveOptions(options)
    this.#options = resolved
    for (const path of resolved.paths) this.#paths.add(path, undefined)
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
    this.#host = this.#createHost()
    this.#upgrade = createUpgradeHandler({
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
        void this.#open(conn, target.handler)
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

  /** Handles WebSocket upgrades of an http or https server; several servers may be attached. */
  attach(server: AttachableServer): this {
    if (this.#closing)
      throw new RoomcastError(ErrorCode.ServerClosed, 'Cannot attach a closed server')
    if (this.#attached.has(server)) return this
    const listener: UpgradeHandler = (request, socket, head) => this.#upgrade(request, socket, head)
    server.on('upgrade', listener)
    this.#attached.set(server, listener)
    return this
  }

  /** Runs the handshake pipeline for an upgrade request you received yourself. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgrade(request, socket, head)
  }

  /**
   * Connect/Express-style middleware: sets `req.isWebSocket` and `req.wss` for
   * HTTP routes, and answers 426 to plain HTTP requests on a `wss.on()` route.
   */
  upgrade(): ConnectMiddleware {
    return createUpgradeMiddleware(this, (path) => {
      const segments = splitPath(path)
      return segments !== undefined && this.#routes.match(segments) !== undefined
    })
  }

  /** Sends `data` to every connection. @returns how many connections it reached. */
  broadcast(data: SendData, exclude?: BroadcastExclude): number {
    return this.#fanOut({ except: exceptOf(exclude) }, toPayload(data))
  }

  broadcastJson(value: unknown, exclude?: BroadcastExclude): number {
    return this.#fanOut({ except: exceptOf(exclude) }, toJsonPayload(value))
  }

  /** Sends `data` to every member of `room`. @returns how many connections it reached. */
  broadcastToRoom(room: string, data: SendData, exclude?: BroadcastExclude): number {
    assertRoomName(room)
    return this.#fanOut({ rooms: [room], except: exceptOf(exclude) }, toPayload(data))
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
  closeAll(code = 1001, reason = ''): void {
    for (const conn of this.#connections.values()) conn.close(code, reason)
  }

  /**
   * Stops accepting (later handshakes get 503), stops the heartbeat, closes
   * every connection with 1001 and waits for them, terminating those still
   * open after `closeTimeout`, then detaches from every server. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  async #shutdown(): Promise<void> {
    this.#heartbeat.stop()
    this.closeAll(1001, 'Server shutting down')
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

  #fanOut(target: BroadcastTarget, payload: Payload): number {
    return fanOut(target, payload, this.#connections, this.#rooms)
  }

  /** onConnection, then middleware, then the route handler; queued messages follow. */
  async #open(conn: Connection, handler: RouteHandler | undefined): Promise<void> {
    const fail = (error: Error) => {
      this.#reportError(conn, error)
      conn.close(1011, 'Internal error')
    }
    await invokeHook(this.#options.onConnection, [conn], fail)
    const final = handler && (() => handler(conn, conn.request))
    const stopped = () => conn.closedByServer
    await runChain(this.#middleware, conn, conn.request, final ?? (() => undefined), fail, stopped)
    conn.release()
  }

  #reportError(conn: Connection, error: Error): void {
    const { onError, logger } = this.#options
    const logFailure = (failure: Error) => logger.error('roomcast: an error handler threw', failure)
    const handled = onError !== undefined || conn.listenerCount('error') > 0
    invokeHook(onError, [conn, error], logFailure)
    conn.emitError(error, logFailure)
    if (!handled) logger.error(`roomcast: error on connection ${conn.id}`, error)
  }

  #createHost(): ConnectionHost {
    const options = this.#options
    return {
      rooms: this.#rooms,
      stats: this.#stats,
      maxRoomsPerConnection: options.maxRoomsPerConnection,
      maxQueuedBytes: options.maxQueuedBytes,
      broadcastFrom: (conn, room, payload) =>
        this.#fanOut({ rooms: [room], except: new Set([conn.id]) }, payload),
      reportError: (conn, error) => this.#reportError(conn, error),
      connectionClosed: (conn, code, reason) => {
        this.#connections.delete(conn.id)
        this.#rooms.removeAll(conn.id)
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
