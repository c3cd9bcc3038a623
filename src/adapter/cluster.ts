/**
 * The cluster adapter: the memory adapter's local index plus a message bus.
 * A node subscribes only to the channels of rooms, users and connections it
 * holds, so a broadcast reaches only the nodes that have someone to give it to.
 */
import { toError } from '../errors.js'
import { Payload } from '../fanout/index.js'
import { Channels } from './channels.js'
import {
  type ClusterAdapterOptions,
  type ResolvedClusterOptions,
  resolveClusterOptions,
} from './cluster-options.js'
import { AdapterError, AdapterErrorCode } from './errors.js'
import { Interest } from './interest.js'
import { MemoryAdapter } from './memory.js'
import { NodeRegistry } from './node-registry.js'
import { PresenceView } from './presence-view.js'
import { BusPublisher } from './publisher.js'
import { RecentIds } from './recent-ids.js'
import { PendingRequests } from './requests.js'
import type { ClusterStore, DurableStore, KeptRoom } from './store.js'
import { storedBroadcast } from './stored-broadcast.js'
import type { Transport, TransportStatus } from './transport.js'
import type {
  AdapterHealth,
  AdapterHost,
  ClusterAnswers,
  ClusterQuery,
  ClusterResult,
  NodeError,
  PresenceEntry,
  PresenceEvent,
  WireTarget,
} from './types.js'
import {
  broadcastMarker,
  decode,
  encode,
  type RequestMessage,
  startsWith,
  type WireMessage,
} from './wire.js'

export type { ClusterAdapterOptions } from './cluster-options.js'

/** Multi-channel broadcasts remembered for de-duplication; their copies arrive back to back. */
const RECENT_BROADCASTS = 1024

/**
 * Rooms, users, presence and requests across every node sharing a bus.
 * Delivery over the bus is at-most-once: a message published while the bus
 * is down, or before a node's subscription to a new room took effect, is lost
 * for the other nodes.
 * @example
 * const adapter = new ClusterAdapter({ transport: await createRedisTransport({ url }) })
 * const wss = createWebSocket({ adapter })
 */
export class ClusterAdapter extends MemoryAdapter {
  readonly #options: ResolvedClusterOptions
  readonly #transport: Transport
  readonly #channels: Channels
  readonly #bus: BusPublisher
  readonly #interest: Interest
  readonly #nodes: NodeRegistry
  readonly #view = new PresenceView()
  readonly #requests = new PendingRequests()
  readonly #recent = new RecentIds(RECENT_BROADCASTS)
  readonly #store: ClusterStore | undefined
  /** Local connection ids: sends to them never go on the bus. */
  #nodeId = ''
  #nextMessageId = 0
  #started = false
  #closing: Promise<void> | undefined
  #ownBroadcast: Buffer | undefined

  /** @throws {RoomcastError} `ERR_INVALID_OPTION` naming the option that is wrong. */
  constructor(options: ClusterAdapterOptions) {
    super()
    const resolved = resolveClusterOptions(options)
    const transport = resolved.transport
    const channels = new Channels(resolved.prefix)
    // Reports go to the host, which init() provides before anything is published.
    const bus = new BusPublisher(transport, resolved.maxPendingPublishes, (error) =>
      this.host.error(error),
    )
    this.#options = resolved
    this.#transport = transport
    this.#channels = channels
    this.#bus = bus
    this.#store = transport.createStore?.(channels.prefix)
    this.#interest = new Interest(transport, (error) =>
      bus.report(AdapterErrorCode.Subscribe, error),
    )
    this.#nodes = new NodeRegistry({
      channels,
      bus,
      transport,
      heartbeatInterval: resolved.heartbeatInterval,
      nodeTimeout: resolved.nodeTimeout,
      dropped: (nodeId) => this.#forget(nodeId),
      greeted: (nodeId) => void bus.post(channels.node(nodeId), this.#sync()),
    })
  }

  /** This node's id on the bus; set by `init()`. */
  get nodeId(): string {
    return this.#nodeId
  }

  override async init(host: AdapterHost): Promise<void> {
    await super.init(host)
    this.#nodeId = this.#options.nodeId ?? host.nodeId
    this.#transport.onMessage((_channel, message) => this.#receive(message))
    this.#transport.onStatus((status) => this.#statusChanged(status))
    const { all, nodes, presence, custom } = this.#channels
    for (const channel of [all, nodes, presence, custom, this.#channels.node(this.#nodeId)]) {
      this.#interest.add(channel)
    }
    await this.#interest.flush()
    // Closed while subscribing: never start heartbeats for a node that already left.
    if (this.#closing !== undefined) return
    this.#started = true
    this.#nodes.start(this.#nodeId)
    const status = this.#transport.status
    if (status.up) this.#announce()
    else this.#bus.report(AdapterErrorCode.Down, new Error(status.reason))
  }

  override addConnection(id: string, userId: string | undefined): void {
    super.addConnection(id, userId)
    this.#interest.add(this.#channels.conn(id))
  }

  override removeConnection(id: string, userId: string | undefined): void {
    super.removeConnection(id, userId)
    this.#interest.remove(this.#channels.conn(id))
  }

  override join(id: string, room: string): boolean {
    if (!super.join(id, room)) return false
    this.#presenceChanged(id, room)
    return true
  }

  override leave(id: string, room: string): void {
    if (!this.isIn(id, room)) return
    super.leave(id, room)
    this.#presenceChanged(id, room)
  }

  /**
   * Delivers locally, then publishes once per room, user or remote connection
   * channel of `target` (or on `all`). A broadcast with `accept` stays local:
   * a predicate cannot travel.
   */
  override broadcast(
    target: WireTarget,
    payload: Payload,
    accept?: (id: string) => boolean,
  ): number {
    if (accept === undefined && this.#started && this.#closing === undefined) {
      const kept = this.keptRoomsOf(target)
      const queued = target.users !== undefined && this.host.offlineQueue !== undefined
      const store = this.#store
      if (store !== undefined && (kept !== undefined || queued)) {
        return this.#storeAndPublish(store, target, payload, kept ?? [])
      }
      this.#publish(target, payload)
    }
    return this.deliverLocal(target, payload, accept)
  }

  /** The shared store of the transport (Redis), or none on a bus without storage. */
  override get store(): DurableStore | undefined {
    return this.#store
  }

  override settled(): Promise<void> {
    return this.#interest.settled()
  }

  /**
   * Keeps, publishes and queues a broadcast in one atomic step. A kept
   * broadcast reaches local connections as it reaches every other node, from
   * the bus, so one socket orders every message of a room (new members catch
   * up from the stream); when the store fails it is delivered here only,
   * without positions.
   * @returns local connections it is expected to reach.
   */
  #storeAndPublish(
    store: ClusterStore,
    target: WireTarget,
    payload: Payload,
    kept: readonly KeptRoom[],
  ): number {
    const stored = storedBroadcast({
      channels: this.#channels,
      target,
      payload,
      kept,
      queue: this.host.offlineQueue,
      isLocal: this.#isLocal,
      message: (multi) => this.#encodeBroadcast(target, payload, multi),
    })
    const echoed = kept.length > 0
    if (!this.#bus.admit()) return this.deliverLocal(target, payload)
    this.#bus.track(store.broadcast(stored)).catch((error: unknown) => {
      this.#bus.report(AdapterErrorCode.Publish, error)
      if (echoed && this.#closing === undefined) this.deliverLocal(target, payload)
    })
    return echoed ? this.localIds(target).length : this.deliverLocal(target, payload)
  }

  #encodeBroadcast(target: WireTarget, payload: Payload, multi: boolean): Buffer {
    const { binary, data } = payload
    const id = this.#nextMessageId++
    return encode({ kind: 'broadcast', origin: this.#nodeId, id, multi, target, binary, data })
  }

  /**
   * Hands a broadcast to the bus before the local fan-out runs, so other
   * nodes start delivering while this one writes to its own connections.
   */
  #publish(target: WireTarget, payload: Payload): void {
    const channels = this.#channels.forTarget(target, this.#isLocal)
    if (channels.length === 0) return
    const message = this.#encodeBroadcast(target, payload, channels.length > 1)
    // Published in call order with no await between: the bus keeps per-channel order.
    for (const channel of channels) void this.#bus.post(channel, message)
  }

  /**
   * Answers locally and asks every live node. Resolves when all answered or
   * after `timeout` ms, with an error for each node that did not answer.
   */
  override async request<K extends ClusterQuery['kind']>(
    query: Extract<ClusterQuery, { kind: K }>,
    timeout: number = this.#options.requestTimeout,
  ): Promise<ClusterResult<ClusterAnswers[K]>> {
    const answers = new Map<string, unknown>()
    const errors: NodeError[] = []
    try {
      answers.set(this.#nodeId, this.answer(query))
    } catch (error) {
      errors.push({ nodeId: this.#nodeId, error: toError(error).message })
    }
    const nodes = this.#closing === undefined ? this.#nodes.ids() : []
    const { id, result } = this.#requests.start(nodes, timeout, answers, errors)
    if (nodes.length > 0) {
      const origin = this.#nodeId
      const message = encode({ kind: 'request', origin, requestId: id, replyTo: origin, query })
      for (const nodeId of nodes) {
        void this.#bus.post(this.#channels.node(nodeId), message).then((sent) => {
          if (!sent) this.#requests.failed(id, nodeId, 'request could not be published')
        })
      }
    }
    return result as Promise<ClusterResult<ClusterAnswers[K]>>
  }

  /**
   * Sends `message` (as JSON) to `channel` on every node. This node gets the
   * same JSON copy at once; the others through the bus.
   * @throws {AdapterError} (rejects) `ERR_ADAPTER_DOWN` while the bus is down,
   * `ERR_ADAPTER_PUBLISH` when the publish fails, `ERR_ADAPTER_CLOSED` after close().
   */
  override async publish(channel: string, message: unknown): Promise<void> {
    if (typeof channel !== 'string') throw new TypeError('publish() takes a channel name string')
    if (this.#closing !== undefined) {
      throw new AdapterError(AdapterErrorCode.Closed, 'publish() after close()')
    }
    const buffer = encode({ kind: 'publish', origin: this.#nodeId, channel, message })
    // Settled to a value, so a throwing local handler cannot leave it unhandled.
    const failure = this.#bus.send(this.#channels.custom, buffer).then(
      () => undefined,
      (error: unknown) => error,
    )
    // Every node sees the JSON copy, this one included, so handlers behave the same everywhere.
    const copy = decode(buffer)
    await Promise.resolve()
    if (copy?.kind === 'publish') this.host.message(channel, copy.message)
    const error = await failure
    if (error !== undefined) throw error
  }

  /** Users in `room` anywhere in the cluster, with their connection count per node. */
  override async presence(room: string): Promise<PresenceEntry[]> {
    return this.#view.entries(room)
  }

  override health(): AdapterHealth {
    const bus = this.#bus
    const figures = {
      nodes: this.#nodes.size + 1,
      publishFailures: bus.failures,
      publishes: bus.published,
      publishesPending: bus.pending,
      publishesDropped: bus.dropped,
    }
    const latency = this.#transport.latency
    if (latency !== undefined) Object.assign(figures, { latency: Math.round(latency * 100) / 100 })
    const status = this.#transport.status
    if (status.up) return { status: 'ok', ...figures }
    return { status: 'degraded', reason: `message bus down: ${status.reason}`, ...figures }
  }

  /** Says goodbye, stops the timers, settles pending requests; idempotent. */
  override close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  protected override roomCreated(room: string): void {
    this.#interest.add(this.#channels.room(room))
  }

  protected override roomEmptied(room: string): void {
    this.#interest.remove(this.#channels.room(room))
  }

  protected override userAdded(userId: string): void {
    this.#interest.add(this.#channels.user(userId))
  }

  protected override userRemoved(userId: string): void {
    this.#interest.remove(this.#channels.user(userId))
  }

  /** Cluster-wide joins and leaves come from the replicated view instead (#presenceChanged). */
  protected override userPresence(): void {}

  readonly #isLocal = (id: string): boolean => this.isLocal(id)

  /** Records and publishes this node's count for a user in a room after each change. */
  #presenceChanged(id: string, room: string): void {
    const userId = this.userOf(id)
    if (userId === undefined) return
    const count = this.userCountIn(room, userId)
    this.#emit(this.#view.set(room, userId, this.#nodeId, count))
    if (!this.#started) return
    const message = encode({ kind: 'presence', origin: this.#nodeId, room, userId, count })
    void this.#bus.post(this.#channels.presence, message)
  }

  #receive(buffer: Buffer): void {
    if (this.#closing !== undefined) return
    // This node's own broadcasts come back on every room channel it has members in.
    this.#ownBroadcast ??= broadcastMarker(this.#nodeId)
    if (startsWith(buffer, this.#ownBroadcast)) return
    const message = decode(buffer)
    if (message === undefined) return
    // A stored broadcast comes back to its own node too: that is its local delivery.
    const ownEcho = message.kind === 'broadcast' && message.positions !== undefined
    if (message.origin === this.#nodeId && !ownEcho) return
    try {
      this.#handle(message)
    } catch (error) {
      // Called from the transport: a throw here would reach its socket code.
      this.host.error(toError(error))
    }
  }

  #handle(message: WireMessage): void {
    switch (message.kind) {
      case 'broadcast':
        if (message.multi && this.#recent.check(`${message.origin}#${message.id}`)) return
        this.deliverLocal(
          message.target,
          new Payload(message.data, message.binary, message.positions),
        )
        return
      case 'publish':
        this.host.message(message.channel, message.message)
        return
      case 'node':
        this.#nodes.receive(message)
        return
      case 'request':
        this.#answer(message)
        return
      case 'response':
        if (message.error === undefined) {
          this.#requests.answered(message.requestId, message.origin, message.answer)
        } else this.#requests.failed(message.requestId, message.origin, message.error)
        return
      case 'presence':
        this.#nodes.heard(message.origin, true)
        this.#emit(this.#view.set(message.room, message.userId, message.origin, message.count))
        return
      case 'sync':
        this.#nodes.heard(message.origin, false)
        for (const event of this.#view.replace(message.origin, message.entries)) this.#emit(event)
        return
    }
  }

  #answer(request: RequestMessage): void {
    const { requestId } = request
    const origin = this.#nodeId
    let response: Buffer
    try {
      const answer = this.answer(request.query)
      response = encode({ kind: 'response', origin, requestId, answer, error: undefined })
    } catch (error) {
      const message = toError(error).message
      response = encode({ kind: 'response', origin, requestId, answer: undefined, error: message })
    }
    void this.#bus.post(this.#channels.node(request.replyTo), response)
  }

  /** A node left or went silent: its presence ends and its pending answers will not come. */
  #forget(nodeId: string): void {
    for (const event of this.#view.replace(nodeId, [])) this.#emit(event)
    this.#requests.nodeLeft(nodeId)
  }

  /** Hello to every node, and this node's presence for those that dropped or never had it. */
  #announce(): void {
    this.#nodes.announce()
    void this.#bus.post(this.#channels.presence, this.#sync())
  }

  #statusChanged(status: TransportStatus): void {
    if (this.#closing !== undefined) return
    if (!status.up) {
      this.#bus.report(AdapterErrorCode.Down, new Error(status.reason))
      return
    }
    this.#bus.recovered()
    // Subscriptions refused during the outage first, then hello and presence.
    void this.#interest.flush()
    if (!this.#started) return // init() announces once subscribed
    this.#nodes.recovered()
    void this.#bus.post(this.#channels.presence, this.#sync())
  }

  #sync(): Buffer {
    const entries = this.#view.of(this.#nodeId)
    return encode({ kind: 'sync', origin: this.#nodeId, entries })
  }

  #emit(event: PresenceEvent | undefined): void {
    if (event !== undefined) this.host.presence(event)
  }

  async #shutdown(): Promise<void> {
    this.#bus.mute()
    this.#requests.closeAll('adapter closed')
    await this.#nodes.stop()
    if (this.#options.ownsTransport) {
      this.#interest.stop()
      await this.#transport.close()
    } else await this.#interest.clear()
  }
}
