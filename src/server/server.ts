/** createWebSocket(): the server's lifecycle, route table, wiring and server-level API. */

import { randomUUID } from 'node:crypto'
import type { Server as HttpServer, IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Adapter, HistoryQuery } from '../adapter/index.js'
import { MemoryAdapter } from '../adapter/index.js'
import { DEADLINE_RESOLUTION, TokenLifetimes } from '../auth/index.js'
import { CloseCode } from '../close-codes.js'
import type { SubscriberDefinition, SubscriberOptions } from '../cluster/index.js'
import type { ServerSubscriberExtra } from '../compat/index.js'
import { type Connection, type ConnectionHost, ListenerRegistry } from '../connection/index.js'
import { ErrorCode, RoomcastError, toError } from '../errors.js'
import type { BroadcastTarget, Payload } from '../fanout/index.js'
import { logSafely } from '../hooks.js'
import {
  type ConnectMiddleware,
  createUpgradeMiddleware,
  slowlorisWarning,
} from '../integrations/index.js'
import type { ControllerRoute } from '../message/index.js'
import { MessageLayer } from '../message/index.js'
import {
  type ResolvedOptions,
  resolveHistory,
  resolveOptions,
  type WebSocketOptions,
} from '../options/index.js'
import { Durability, type RoomHistory } from '../recovery/index.js'
import {
  assertRouteDefinition,
  type Behaviour,
  behaviourHandler,
  type RouteDefinition,
  RouteTable,
  routeSettings,
  serverSettings,
  splitPath,
} from '../routes/index.js'
import type { Middleware, RoutedUpgrade, RouteHandler, WSConnection } from '../types.js'

export type { BroadcastExclude } from './broadcast-api.js'
export type { ServerEvents, ServerHealth } from './events.js'
export type { HealthHandler, HealthProbe } from './health-handler.js'
export type { DrainOptions, RetryAdviceOptions, ShutdownOptions } from './shutdown.js'
export type { SignalShutdownOptions } from './signals.js'

import { createAcceptor } from './accept.js'
import { ClusterApi } from './cluster-api.js'
import type { ServerEvents, ServerHealth } from './events.js'
import { createHealthHandler, type HealthHandler, type HealthProbe } from './health-handler.js'
import { createAdapterHost, createConnectionHost } from './hosts.js'
import { Instrumentation } from './instrumentation.js'
import { ServerSubscribers } from './server-subscribers.js'
import { resolveShutdown, type ShutdownOptions, shutdownGracefully } from './shutdown.js'
import { ShutdownSignals, type SignalShutdownOptions } from './signals.js'
import { createErrorReporter } from './startup.js'
import { StatsCounter, type WebSocketStats } from './stats.js'
import { createSweep, periodFor } from './sweep.js'
import { createUpgradePipeline, type RouteEntry, type UpgradePipeline } from './upgrade.js'
import { type AttachableServer, UpgradeListeners } from './upgrade-listeners.js'
import { WhenEmpty } from './when-empty.js'
import { WsServers } from './ws-servers.js'

/**
 * A WebSocket server with routes, middleware, rooms and broadcasting. Create
 * it with {@link createWebSocket}, register routes, then `attach()` it.
 */
export class RoomcastServer extends ClusterApi {
  readonly #options: ResolvedOptions
  readonly #wsServers: WsServers
  readonly #defaults: ReturnType<typeof serverSettings>
  readonly #defaultEntry: RouteEntry
  readonly #routes = new RouteTable<RouteEntry>()
  readonly #paths: RouteTable<RouteEntry>
  readonly #middleware: Middleware[] = []
  readonly #connections: Map<string, Connection>
  /** Membership and delivery: this process alone, or a cluster. */
  readonly #adapter: Adapter
  readonly #ready: Promise<void>
  /** This server's id among the nodes of a cluster. */
  readonly nodeId = randomUUID()
  readonly #events = new ListenerRegistry<ServerEvents>()
  readonly #messages: MessageLayer
  readonly #subscribers: ServerSubscribers
  readonly #stats = new StatsCounter()
  readonly #sweep: ReturnType<typeof createSweep>
  readonly #attached = new UpgradeListeners()
  readonly #whenEmpty = new WhenEmpty()
  readonly #signals = new ShutdownSignals()
  readonly #reportError: (conn: Connection, error: Error) => void
  readonly #host: ConnectionHost
  readonly #upgrade: UpgradePipeline
  readonly #durability: Durability
  readonly #lifetimes: TokenLifetimes<Connection>
  readonly #instrumentation: Instrumentation
  #closing: Promise<void> | undefined

  constructor(options: WebSocketOptions = {}) {
    const resolved = resolveOptions(options)
    const adapter = resolved.adapter ?? new MemoryAdapter()
    const connections = new Map<string, Connection>()
    super(adapter, connections, resolved.requestTimeout)
    this.#connections = connections
    this.#instrumentation = new Instrumentation(connections, this.#stats)
    this.#adapter = adapter
    this.#options = resolved
    this.#lifetimes = new TokenLifetimes<Connection>({
      counters: this.#stats,
      store: () => adapter.store,
      userConnections: (userId) =>
        [...(adapter.userConnections(userId) ?? [])].flatMap((id) => connections.get(id) ?? []),
      connections: () => connections.values(),
      failed: (conn, error) =>
        conn === undefined ? this.#adapterError(error) : this.#reportError(conn, error),
    })
    this.#wsServers = new WsServers(
      (status) => this.#stats.rejected(status),
      resolved.debug ? resolved.logger : undefined,
    )
    this.#defaults = serverSettings(resolved)
    this.#defaultEntry = {
      handler: undefined,
      settings: this.#defaults.settings,
      wsServer: this.#wsServers.create(this.#defaults.ws),
      authenticate: undefined,
      routeObject: false,
    }
    this.#paths = RouteTable.of(resolved.paths, this.#defaultEntry, 'path')
    this.#sweep = createSweep(() => this.#connections.values())
    this.#sweep.require(periodFor(this.#defaults.settings.liveness))
    this.#sweep.require(resolved.inactivityCheckInterval)
    if (resolved.auth !== undefined) this.#tickDeadlines()
    this.#reportError = createErrorReporter(resolved)
    this.#subscribers = new ServerSubscribers(resolved.logger)
    const durability = new Durability({
      options: resolved,
      adapter,
      failed: (conn, error) => this.#reportError(conn, error),
      error: (error) => this.#adapterError(error),
    })
    this.#durability = durability
    this.#host = createConnectionHost({
      durability,
      lifetimes: this.#lifetimes,
      options: resolved,
      adapter: this.#adapter,
      stats: this.#stats,
      fanOut: (target, payload) => this.deliver(target, payload),
      reportError: (conn, error) => this.#reportError(conn, error),
      forget: (conn) => this.#connections.delete(conn.id),
      closed: () => {
        if (this.#connections.size === 0) this.#whenEmpty.notify()
      },
    })
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
          // Read at each broadcast: route objects may add history rules later.
          get keptRooms() {
            return durability.keptRooms
          },
          offlineQueue: resolved.offlineQueue,
          connections: this.#connections,
          revoke: (userId, jti, until) => this.#lifetimes.revoke(userId, jti, until),
          status: () => ({ nodeId: this.nodeId, stats: this.getStats(), health: this.health() }),
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
      routedEntry: (handler) => ({ ...this.#defaultEntry, handler }),
      connectionCount: () => this.#connections.size,
      rejected: (status) => this.#stats.rejected(status),
      admit: (auth, request, search) => this.#lifetimes.admit(auth, request, search),
      stillAdmitted: (token) => this.#lifetimes.stillAdmitted(token),
      resume: resolved.recovery === undefined ? undefined : (target) => durability.resume(target),
      accept: createAcceptor({
        options: resolved,
        host: this.#host,
        connections,
        adapter,
        messages: this.#messages,
        stats: this.#stats,
        lifetimes: this.#lifetimes,
        durability,
        middleware: this.#middleware,
        startSweep: () => this.#sweep.start(),
        reportError: this.#reportError,
      }),
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
  /** Seed 003's (verb's) behaviour object: `{ open, message, close, drain, ping, pong, error }`. */
  on(path: string, behaviour: Behaviour): this
  on(path: string, handler: RouteHandler | Behaviour | ServerEvents[keyof ServerEvents]): this {
    if (typeof handler === 'object' && handler !== null) {
      const route = behaviourHandler(handler, path)
      this.#routes.add(path, { ...this.#defaultEntry, handler: route })
      return this
    }
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
    const history = resolveHistory(def.history, 'route.history')
    if (history !== undefined) this.#durability.addRule(history)
    const entry: RouteEntry = {
      handler: this.#messages.routeHandler(def),
      settings,
      wsServer: ws === undefined ? this.#defaultEntry.wsServer : this.#wsServers.create(ws),
      authenticate: def.authenticate,
      routeObject: true,
    }
    this.#routes.add(def.pattern, entry)
    this.#sweep.require(periodFor(settings.liveness))
    if (settings.auth !== undefined) this.#tickDeadlines()
    return this
  }

  /**
   * Removes the route registered as `pattern` (by `on()` or `route()`, the
   * same string): later handshakes are routed as if it had never been added.
   * Its open connections stay open, for the caller to close as the reason
   * demands, and a route object's `history` rule stays: rooms are server-wide.
   * @returns whether a route was removed.
   * @example
   * wss.removeRoute('/chat/:room')
   * wss.route({ pattern: '/chat/:room', onMessage: newHandler })
   */
  removeRoute(pattern: string): boolean {
    const entry = this.#routes.remove(pattern)
    if (entry === undefined) return false
    if (entry.wsServer !== this.#defaultEntry.wsServer) this.#wsServers.release(entry.wsServer)
    return true
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
    const warning = slowlorisWarning(server)
    if (warning !== undefined) logSafely(this.#options.logger, 'warn', warning)
    this.#attached.add(server, (request, socket, head, unmatched) =>
      this.#upgrade.handle(request, socket, head, unmatched),
    )
    return this
  }

  /**
   * A standalone WebSocket server (seed 003): an http server on `port` that
   * handles upgrades and answers other requests with 426, with the tight
   * header timeouts of `withWebSocket`. `close()` closes it too.
   * @example
   * const server = await wss.listen(3000, '127.0.0.1')
   */
  async listen(port: number, host?: string): Promise<HttpServer> {
    if (this.#closing) {
      throw new RoomcastError(ErrorCode.ServerClosed, 'Cannot listen on a closed server')
    }
    const server = await this.#attached.listen(port, host)
    this.attach(server)
    return server
  }

  /**
   * Whether `request` offers one of `ignoreProtocols`: another `upgrade`
   * listener's handshake (Vite's HMR), for integrations to leave alone.
   */
  ignoresUpgrade(request: IncomingMessage): boolean {
    return this.#upgrade.ignores(request)
  }

  /**
   * Runs the handshake pipeline for an upgrade request you received yourself.
   * With `routed` (a framework's router matched it), its handler and params
   * are used instead of this server's routes; every other check still applies.
   * @example
   * wss.handleUpgrade(req, socket, head, { handler: (conn) => conn.join('lobby'), params: { room } })
   */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    routed?: RoutedUpgrade,
  ): void {
    this.#upgrade.handle(request, socket, head, 'reject', routed)
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

  /** Resolves once the adapter is ready (a cluster adapter has subscribed and announced itself). */
  ready(): Promise<void> {
    return this.#ready
  }

  /**
   * Adds a subscriber for custom messages (see `defineSubscriber`); its
   * context carries `server` and seed 004's `webSocketServer` (see `pxlServer`).
   */
  subscribe(
    subscriber:
      | SubscriberDefinition<ServerSubscriberExtra>
      | SubscriberOptions<ServerSubscriberExtra>,
  ): this {
    this.#subscribers.add(subscriber)
    return this
  }

  /** Removes a subscriber by name. @returns whether one was removed. */
  unsubscribe(name: string): boolean {
    return this.#subscribers.remove(name)
  }

  /**
   * A room's kept messages (the `history` option), oldest first: the newest
   * ones, or those after an offset. Read from the adapter's store, so on Redis
   * it is the whole cluster's history.
   * @throws {RoomcastError} (rejects) `ERR_INVALID_OPTION` when no rule keeps the room's history.
   */
  history(room: string, query?: HistoryQuery): Promise<RoomHistory> {
    return this.#durability.history(room, query)
  }

  /** `ok`, or `degraded` with the reason (e.g. the cluster bus is down). */
  health(): ServerHealth {
    return {
      ...this.#adapter.health(),
      connections: this.#connections.size,
      closing: this.#closing !== undefined,
    }
  }

  /**
   * An HTTP handler answering `health()` as JSON: for `'readiness'` (the
   * default) 200 when `ok`, 503 while degraded or closing; for `'liveness'`
   * always 200. A Node request handler, so Express and Connect mount it as it is.
   * @example
   * app.get('/healthz', wss.healthHandler())
   */
  healthHandler(probe?: HealthProbe): HealthHandler {
    return createHealthHandler(() => this.health(), probe)
  }

  getStats(): WebSocketStats {
    return this.#stats.snapshot(this.#connections.size, this.#adapter.localRoomCount)
  }

  /** @internal What roomcast/metrics reads beyond `getStats()`, and its broadcast timer. */
  get instrumentation(): Instrumentation {
    return this.#instrumentation
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
    await this.#whenEmpty.wait(this.#connections.size === 0, this.#options.closeTimeout)
    for (const conn of this.#connections.values()) conn.terminate()
    await this.#whenEmpty.wait(this.#connections.size === 0, this.#options.closeTimeout)
    await this.#release()
  }

  /**
   * The deploy-friendly `close()`: stops accepting (handshakes get 503 from
   * the call on), closes the connections `drain.batchSize` at a time,
   * `drain.interval` ms apart, with 1012 Service Restart and a retry delay
   * drawn per connection (a roomcast client gets it as advice and waits about
   * that long), terminates what is still open when `timeout` runs out, and
   * ends as `close()` does: detached, the servers `listen()` made closed, the
   * adapter closed (a cluster node says goodbye). While it or `close()` runs,
   * both return the same promise; a later call's options are checked, then unused.
   * @throws {RoomcastError} (rejects) `ERR_INVALID_OPTION`, naming the option.
   * @example
   * await wss.shutdown({ timeout: 20_000, drain: { batchSize: 5000, interval: 1000 } })
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    let plan: ReturnType<typeof resolveShutdown>
    try {
      plan = resolveShutdown(options)
    } catch (error) {
      // A promise API fails as a rejection, so `.catch()` sees a bad option too.
      return Promise.reject(error)
    }
    this.#closing ??= shutdownGracefully(plan, {
      connections: this.#connections,
      whenEmpty: (ms) => this.#whenEmpty.wait(this.#connections.size === 0, ms),
      closeTimeout: this.#options.closeTimeout,
      abortPending: () => this.#upgrade.abortPending(),
      release: () => this.#release(),
    })
    return this.#closing
  }

  /**
   * Opt-in signal handling for deploys: the first of `signals` runs
   * `shutdown()` with these options; a second one during it exits at once
   * with 128 + its number (143 for SIGTERM). roomcast then holds nothing that
   * keeps the process up, so it exits 0 on its own, unless the app's own
   * handles do (an attached http server and its keep-alive sockets, timers):
   * close them, or pass `exit: true`. The listeners go when the server has
   * closed, or when the returned function is called.
   * @throws {RoomcastError} `ERR_INVALID_OPTION`; `ERR_SERVER_CLOSED` once closing.
   * @example
   * wss.closeOnSignals({ drain: { batchSize: 1000, interval: 1000 } })
   */
  closeOnSignals(options?: SignalShutdownOptions): () => void {
    if (this.#closing) {
      throw new RoomcastError(ErrorCode.ServerClosed, 'Cannot handle signals for a closed server')
    }
    const logger = this.#options.logger
    return this.#signals.install(options, { shutdown: (given) => this.shutdown(given), logger })
  }

  /** What every close ends with: heartbeat stopped, detached, the adapter closed, signals let go. */
  async #release(): Promise<void> {
    this.#sweep.stop()
    await this.#attached.removeAll()
    this.#wsServers.close()
    this.#durability.stop()
    await this.#adapter.close().catch((error: unknown) => this.#adapterError(toError(error)))
    this.#signals.removeAll()
  }

  protected deliver(target: BroadcastTarget<WSConnection>, payload: Payload): number {
    const observe = this.#instrumentation.observer
    if (observe === undefined) return this.#fanOut(target, payload)
    const started = performance.now()
    const reached = this.#fanOut(target, payload)
    observe(performance.now() - started, reached)
    return reached
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

  /** Token deadlines ride on the sweep timer, ticking finer than its heartbeat walk. */
  #tickDeadlines(): void {
    this.#sweep.onTick(DEADLINE_RESOLUTION, (now) => this.#lifetimes.tick(now))
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
    this.#subscribers.dispatch(channel, message, this)
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
