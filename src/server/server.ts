/** createWebSocket(): the server's lifecycle, route table, wiring and server-level API. */

import { randomUUID } from 'node:crypto'
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Server as HttpsServer } from 'node:https'
import type { Duplex } from 'node:stream'
import { WebSocketServer as WsServer } from 'ws'
import type {
  Adapter,
  AdapterHealth,
  ConnectionInfo,
  PresenceEntry,
  PresenceEvent,
} from '../adapter/index.js'
import { MemoryAdapter } from '../adapter/index.js'
import { CloseCode } from '../close-codes.js'
import type { SubscriberDefinition, SubscriberOptions } from '../cluster/index.js'
import {
  ClusterQueries,
  type ClusterReply,
  type ClusterTarget,
  createSubscriberRegistry,
  type SubscriberRegistry,
} from '../cluster/index.js'
import {
  assertRoomName,
  Connection,
  type ConnectionHost,
  ListenerRegistry,
} from '../connection/index.js'
import { ErrorCode, RoomcastError, toError } from '../errors.js'
import type { BroadcastTarget } from '../fanout/index.js'
import {
  allClientsTarget,
  BroadcastOperator,
  type BroadcastToAllClientsOptions,
  type BroadcastToRoomOptions,
  type Excluded,
  type Payload,
  toAnyPayload,
  toJsonPayload,
  toPayload,
} from '../fanout/index.js'
import { logSafely } from '../hooks.js'
import { type ConnectMiddleware, createUpgradeMiddleware } from '../integrations/index.js'
import type { ControllerRoute } from '../message/index.js'
import { MessageLayer } from '../message/index.js'
import { type ResolvedOptions, resolveOptions, type WebSocketOptions } from '../options/index.js'
import {
  assertRouteDefinition,
  type RouteDefinition,
  RouteTable,
  routeSettings,
  serverSettings,
  splitPath,
  type WsConfig,
} from '../routes/index.js'
import type { Middleware, RouteHandler, SendData, WSConnection } from '../types.js'
import { writeRejection } from './handshake.js'
import { createAdapterHost, createConnectionHost } from './hosts.js'
import { createErrorReporter, startConnection } from './startup.js'
import { StatsCounter, type WebSocketStats } from './stats.js'
import { createSweep, periodFor } from './sweep.js'
import { createUpgradePipeline, type RouteEntry, type UpgradePipeline } from './upgrade.js'

/** A connection, or its id, that a broadcast skips. */
export type BroadcastExclude = WSConnection | string

type AttachableServer = HttpServer | HttpsServer

/** Server-level events (names never start with "/", so they cannot be routes). */
export interface ServerEvents {
  /** The adapter failed (e.g. Redis down); local delivery goes on. */
  error: (error: Error) => void
  /** A user came online in a room (first connection anywhere) or went fully offline there. */
  presence: (event: PresenceEvent) => void
}

/** What `wss.health()` reports. */
export interface ServerHealth extends AdapterHealth {
  connections: number
  closing: boolean
}
type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

function exceptOf(exclude: BroadcastExclude | undefined): string[] | undefined {
  if (exclude === undefined) return undefined
  if (typeof exclude === 'string') return [exclude]
  if (typeof exclude === 'object' && exclude !== null && typeof exclude.id === 'string') {
    return [exclude.id]
  }
  throw new TypeError('exclude must be a connection or a connection id')
}

function compilePaths(paths: readonly string[], entry: RouteEntry): RouteTable<RouteEntry> {
  const table = new RouteTable<RouteEntry>()
  for (const path of paths) {
    try {
      table.add(path, entry)
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
  /** The server's ws server, then one per route object that changes ws-level options. */
  readonly #wsServers: WsServer[] = []
  readonly #defaults: ReturnType<typeof serverSettings>
  readonly #defaultEntry: RouteEntry
  readonly #routes = new RouteTable<RouteEntry>()
  readonly #paths: RouteTable<RouteEntry>
  readonly #middleware: Middleware[] = []
  readonly #connections = new Map<string, Connection>()
  /** Membership and delivery: this process alone, or a cluster. */
  readonly #adapter: Adapter
  readonly #ready: Promise<void>
  /** This server's id among the nodes of a cluster. */
  readonly nodeId = randomUUID()
  readonly #events = new ListenerRegistry<ServerEvents>()
  readonly #messages: MessageLayer
  readonly #subscribers: SubscriberRegistry<{ server: RoomcastServer }>
  readonly #cluster: ClusterQueries
  readonly #stats = new StatsCounter()
  readonly #sweep: ReturnType<typeof createSweep>
  readonly #attached = new Map<AttachableServer, UpgradeListener>()
  readonly #drainWaiters = new Set<() => void>()
  readonly #reportError: (conn: Connection, error: Error) => void
  readonly #host: ConnectionHost
  readonly #upgrade: UpgradePipeline
  #closing: Promise<void> | undefined

  constructor(options: WebSocketOptions = {}) {
    const resolved = resolveOptions(options)
    this.#options = resolved
    this.#defaults = serverSettings(resolved)
    this.#defaultEntry = {
      handler: undefined,
      settings: this.#defaults.settings,
      wsServer: this.#createWsServer(this.#defaults.ws),
      authenticate: undefined,
      routeObject: false,
    }
    this.#paths = compilePaths(resolved.paths, this.#defaultEntry)
    this.#sweep = createSweep(() => this.#connections.values())
    this.#sweep.require(periodFor(this.#defaults.settings.liveness))
    this.#sweep.require(resolved.inactivityCheckInterval)
    this.#reportError = createErrorReporter(resolved)
    this.#subscribers = createSubscriberRegistry({
      reportError: (error, failure) =>
        logSafely(
          resolved.logger,
          'error',
          `roomcast: subscriber "${failure.subscriber}" failed on channel "${failure.channel}" (${failure.phase})`,
          error,
        ),
    })
    this.#adapter = resolved.adapter ?? new MemoryAdapter()
    this.#host = createConnectionHost({
      options: resolved,
      adapter: this.#adapter,
      stats: this.#stats,
      fanOut: (target, payload) => this.#fanOut(target, payload),
      reportError: (conn, error) => this.#reportError(conn, error),
      forget: (conn) => this.#connections.delete(conn.id),
      closed: () => {
        if (this.#connections.size === 0) for (const done of this.#drainWaiters) done()
      },
    })
    this.#cluster = new ClusterQueries(this.#adapter, resolved.requestTimeout)
    this.#messages = new MessageLayer({
      server: this,
      limits: { maxDepth: resolved.maxJsonDepth, maxKeys: resolved.maxJsonKeys },
      logger: resolved.logger,
      reportError: (conn, error) => this.#reportError(conn as Connection, error),
      replyDropped: () => {
        this.#stats.repliesDropped++
      },
    })
    this.#ready = Promise.resolve(
      this.#adapter.init(
        createAdapterHost({
          nodeId: this.nodeId,
          connections: this.#connections,
          message: (channel, message) => this.#customMessage(channel, message),
          presence: (event) =>
            this.#events.emit('presence', [event], (error) => this.#adapterError(error)),
          error: (error) => this.#adapterError(error),
        }),
      ),
    ).catch((error: unknown) => this.#adapterError(toError(error)))
    this.#upgrade = createUpgradePipeline({
      options: resolved,
      isClosing: () => this.#closing !== undefined,
      route: (segments) => this.#routes.match(segments) ?? this.#paths.match(segments),
      connectionCount: () => this.#connections.size,
      rejected: (status) => this.#stats.rejected(status),
      accept: (socket, request, target) => {
        const conn = new Connection(this.#host, socket, request, target)
        this.#connections.set(conn.id, conn)
        this.#adapter.addConnection(conn.id, conn.userId)
        if (this.#messages.active && !target.entry.routeObject) {
          const listener = this.#messages.serverListener()
          conn.on('message', (data, isBinary) => listener(conn, data, isBinary))
        }
        this.#stats.connectionsTotal++
        this.#sweep.start()
        void startConnection(conn, target.entry.handler, {
          onConnection: resolved.onConnection,
          middleware: this.#middleware,
          reportError: this.#reportError,
        })
      },
    })
  }

  /** Server events: `'error'` (adapter failures) and `'presence'` (cluster-wide presence). */
  on<E extends keyof ServerEvents>(event: E, listener: ServerEvents[E]): this
  /**
   * Registers a route: exact (`/chat`), with parameters (`/chat/:room`) or a
   * wildcard (`/files/*`, `*`). The most specific route wins.
   * @throws {RoomcastError} `ERR_DUPLICATE_ROUTE` or `ERR_INVALID_ROUTE`.
   */
  on(path: string, handler: RouteHandler): this
  on(path: string, handler: RouteHandler | ServerEvents[keyof ServerEvents]): this {
    if (typeof handler !== 'function') throw new TypeError('Route handler must be a function')
    if (path === 'error' || path === 'presence') {
      this.#events.add(path, handler as ServerEvents[typeof path], false)
      return this
    }
    this.#routes.add(path, { ...this.#defaultEntry, handler: handler as RouteHandler })
    return this
  }

  /** Removes a server event listener. */
  off<E extends keyof ServerEvents>(event: E, listener: ServerEvents[E]): this {
    this.#events.remove(event, listener)
    return this
  }

  /**
   * Registers a route object (seed 002): handlers and per-route options in one
   * value, equivalent to `on()` with those options. Text frames that are JSON
   * reach `onMessage` parsed.
   * @throws {RoomcastError} `ERR_DUPLICATE_ROUTE`, `ERR_INVALID_ROUTE`, `ERR_INVALID_OPTION`.
   * @example
   * wss.route({
   *   pattern: '/ws/chat',
   *   defaultRoom: 'general',
   *   onMessage: (conn, data) => conn.broadcast(data, { room: 'general', includeSelf: true }),
   * })
   */
  route<In = unknown>(definition: RouteDefinition<In>): this {
    assertRouteDefinition(definition)
    const def = definition as RouteDefinition<unknown>
    const { settings, ws } = routeSettings(def, this.#defaults)
    const entry: RouteEntry = {
      handler: this.#messages.routeHandler(def),
      settings,
      wsServer: ws === undefined ? this.#defaultEntry.wsServer : this.#createWsServer(ws),
      authenticate: def.authenticate,
      routeObject: true,
    }
    this.#routes.add(def.pattern, entry)
    this.#sweep.require(periodFor(settings.liveness))
    return this
  }

  /**
   * Registers controllers (seed 004): messages `{ type, action, data?, requestId? }`
   * go to the handler for their type and action, and its result is the reply.
   * Routes: `{ type, action, handler, schema? }`, `{ type, action, controller }`
   * or `{ type, controller }` (every method an action). They apply to every
   * connection opened afterwards; route objects try them after `responses`
   * and before `onMessage`.
   * @throws {TypeError} for a malformed route or a type + action registered twice.
   * @example
   * wss.controllers([{ type: 'chat', controller: ChatController }, ...systemController()])
   */
  controllers(
    routes:
      | ControllerRoute<WSConnection, RoomcastServer>
      | readonly ControllerRoute<WSConnection, RoomcastServer>[],
  ): this {
    this.#messages.addControllers(routes)
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

  /** Resolves once the adapter is ready (a cluster adapter has subscribed and announced itself). */
  ready(): Promise<void> {
    return this.#ready
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
    if (typeof options?.clientId !== 'string') {
      throw new TypeError('broadcastToClient({ clientId, data }): clientId must be a string')
    }
    return this.#fanOut({ ids: [options.clientId] }, toAnyPayload(options.data))
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
    return this.#adapter.localRooms()
  }

  getRoomConnections(room: string): WSConnection[] {
    const members = this.#adapter.membersOf(room) ?? []
    return [...members].flatMap((id) => this.#connections.get(id) ?? [])
  }

  /** Sends `data` (objects as JSON) to every connection of these users. @returns how many it reached. */
  broadcastToUsers(userIds: string[], data: unknown): number {
    if (!Array.isArray(userIds) || userIds.some((id) => typeof id !== 'string')) {
      throw new TypeError('broadcastToUsers(userIds, data): userIds must be an array of strings')
    }
    return this.#fanOut({ users: userIds }, toAnyPayload(data))
  }

  /** The open connections of one user (a user may have several). */
  getUserConnections(userId: string): WSConnection[] {
    const ids = this.#adapter.userConnections(userId) ?? []
    return [...ids].flatMap((id) => this.#connections.get(id) ?? [])
  }

  /** Sends a custom message to every node's subscribers (this one included). */
  publish(channel: string, message: unknown): Promise<void> {
    if (typeof channel !== 'string' || channel === '') {
      throw new TypeError('publish(channel, message): channel must be a non-empty string')
    }
    return this.#adapter.publish(channel, message)
  }

  /** Seed 004's name for `publish`. */
  sendCustomMessage(channel: string, message: unknown): Promise<void> {
    return this.publish(channel, message)
  }

  /** Adds a subscriber for custom messages (see `defineSubscriber`). */
  subscribe(
    subscriber:
      | SubscriberDefinition<{ server: RoomcastServer }>
      | SubscriberOptions<{ server: RoomcastServer }>,
  ): this {
    this.#subscribers.add(subscriber)
    return this
  }

  /** Removes a subscriber by name. @returns whether one was removed. */
  unsubscribe(name: string): boolean {
    return this.#subscribers.remove(name)
  }

  /** Open connections on every node. */
  countConnections(): Promise<ClusterReply<number>> {
    return this.#cluster.countConnections()
  }

  /** Rooms with members on any node. */
  fetchRooms(): Promise<ClusterReply<string[]>> {
    return this.#cluster.fetchRooms()
  }

  /** The connections a target selects, on every node; without one, all of them. */
  fetchConnections(target?: ClusterTarget): Promise<ClusterReply<ConnectionInfo[]>> {
    return this.#cluster.fetchConnections(target)
  }

  fetchRoomMembers(room: string): Promise<ClusterReply<ConnectionInfo[]>> {
    assertRoomName(room)
    return this.#cluster.fetchConnections({ rooms: [room] })
  }

  fetchUserConnections(userId: string): Promise<ClusterReply<ConnectionInfo[]>> {
    return this.#cluster.fetchConnections({ users: [userId] })
  }

  /** Makes the connections a target selects join `rooms`, wherever they are. @returns how many. */
  joinRooms(target: ClusterTarget, rooms: string[]): Promise<ClusterReply<number>> {
    return this.#cluster.joinRooms(target, rooms)
  }

  leaveRooms(target: ClusterTarget, rooms: string[]): Promise<ClusterReply<number>> {
    return this.#cluster.leaveRooms(target, rooms)
  }

  /**
   * Closes the connections a target selects, wherever they are (`{ all: true }` for every one).
   * @throws {RoomcastError} `ERR_INVALID_CLOSE_CODE`. @throws {TypeError} for a malformed target.
   */
  disconnect(target: ClusterTarget, code?: number, reason?: string): Promise<ClusterReply<number>> {
    return this.#cluster.disconnect(target, code, reason)
  }

  /** Closes every connection of a user, on every node. */
  disconnectUser(userId: string, code?: number, reason?: string): Promise<ClusterReply<number>> {
    return this.disconnect({ users: [userId] }, code, reason)
  }

  /** Who is in a room, cluster-wide: users, each with their connection count per node. */
  presence(room: string): Promise<PresenceEntry[]> {
    assertRoomName(room)
    return this.#adapter.presence(room)
  }

  /** `ok`, or `degraded` with the reason (e.g. the cluster bus is down). */
  health(): ServerHealth {
    return {
      ...this.#adapter.health(),
      connections: this.#connections.size,
      closing: this.#closing !== undefined,
    }
  }

  getStats(): WebSocketStats {
    return this.#stats.snapshot(this.#connections.size, this.#adapter.localRoomCount)
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
    this.#sweep.stop()
    this.#upgrade.abortPending()
    this.closeAll(CloseCode.GoingAway, 'Server shutting down')
    await this.#whenDrained(this.#options.closeTimeout)
    for (const conn of this.#connections.values()) conn.terminate()
    await this.#whenDrained(this.#options.closeTimeout)
    for (const [server, listener] of this.#attached) server.off('upgrade', listener)
    this.#attached.clear()
    for (const wsServer of this.#wsServers) {
      wsServer.removeAllListeners()
      wsServer.close()
    }
    await this.#adapter.close().catch((error: unknown) => this.#adapterError(toError(error)))
  }

  #createWsServer(config: WsConfig): WsServer {
    const preferred = config.subprotocols
    const wsServer = new WsServer({
      noServer: true,
      clientTracking: false,
      maxPayload: config.maxPayload,
      perMessageDeflate: config.perMessageDeflate,
      autoPong: config.autoPong,
      // Server preference order: the first of ours the client also offers.
      handleProtocols: (offered) => preferred.find((p) => offered.has(p)) ?? false,
    })
    // Header errors only ws checks (malformed Sec-WebSocket-Protocol/-Extensions) are all 400s.
    wsServer.on('wsClientError', (error, socket) => {
      this.#stats.rejected(400)
      writeRejection(socket, { status: 400, message: error.message })
    })
    this.#wsServers.push(wsServer)
    return wsServer
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
    const { filter } = target
    if (filter === undefined) return this.#adapter.broadcast(target, payload)
    const connections = this.#connections
    const accept = (id: string) => {
      const conn = connections.get(id)
      return conn !== undefined && filter(conn)
    }
    return this.#adapter.broadcast(target, payload, accept)
  }

  #adapterError(error: Error): void {
    if (this.#events.count('error') === 0) {
      logSafely(this.#options.logger, 'error', 'roomcast: adapter error', error)
      return
    }
    this.#events.emit('error', [error], (failure) =>
      logSafely(this.#options.logger, 'error', 'roomcast: an error listener threw', failure),
    )
  }

  #customMessage(channel: string, message: unknown): void {
    void this.#subscribers.dispatch(channel, message, { server: this })
  }

  #operator(): BroadcastOperator {
    return new BroadcastOperator((target, payload) => this.#fanOut(target, payload))
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
