/**
 * The cluster's live nodes: this node's hello, heartbeats and bye, and the
 * others' signs of life, with silent nodes dropped after the timeout.
 */
import type { Channels } from './channels.js'
import type { BusPublisher } from './publisher.js'
import type { Transport } from './transport.js'
import { encode, type NodeMessage } from './wire.js'

export interface NodeRegistryOptions {
  channels: Channels
  bus: BusPublisher
  transport: Transport
  heartbeatInterval: number
  nodeTimeout: number
  /** A node left or went silent: forget what it held. */
  dropped(nodeId: string): void
  /** A node starts or is back: it needs this node's state. */
  greeted(nodeId: string): void
}

export class NodeRegistry {
  /** Once stopped, `start()` does nothing: a node that left stays gone. */
  #stopped = false
  readonly #options: NodeRegistryOptions
  /** Other nodes and when each was last heard from. */
  readonly #lastSeen = new Map<string, number>()
  #nodeId = ''
  #timers: NodeJS.Timeout[] = []

  constructor(options: NodeRegistryOptions) {
    this.#options = options
  }

  /** Starts heartbeating as `nodeId` and sweeping for silent nodes. */
  start(nodeId: string): void {
    if (this.#stopped) return
    this.#nodeId = nodeId
    const { heartbeatInterval, nodeTimeout } = this.#options
    this.#timers.push(
      setInterval(() => this.#heartbeat(), heartbeatInterval).unref(),
      // Five checks per timeout: a dead node is gone within 1.2 × nodeTimeout.
      setInterval(() => this.#sweep(), nodeTimeout / 5).unref(),
    )
  }

  /** Tells every node this one is here, and asks each for its state. */
  announce(): void {
    void this.#options.bus.post(this.#options.channels.nodes, this.#message('hello'))
  }

  /**
   * The bus is back. Silence during the outage proves nothing about the
   * others, so each gets a full timeout again; and they may have dropped us.
   */
  recovered(): void {
    const now = Date.now()
    for (const nodeId of this.#lastSeen.keys()) this.#lastSeen.set(nodeId, now)
    this.announce()
  }

  receive(message: NodeMessage): void {
    const { origin } = message
    if (message.event === 'bye') this.drop(origin)
    else if (message.event === 'heartbeat') this.heard(origin, true)
    else {
      this.heard(origin, false)
      this.#options.greeted(origin)
    }
  }

  /**
   * Records a sign of life. A node not known yet (or dropped too early) may
   * hold state this one lacks: with `askIfNew`, it gets a hello of its own.
   */
  heard(nodeId: string, askIfNew: boolean): void {
    const known = this.#lastSeen.has(nodeId)
    this.#lastSeen.set(nodeId, Date.now())
    // Not started yet: a hello would carry no origin; start() announces this node to all.
    if (known || !askIfNew || this.#nodeId === '') return
    void this.#options.bus.post(this.#options.channels.node(nodeId), this.#message('hello'))
  }

  drop(nodeId: string): void {
    this.#lastSeen.delete(nodeId)
    this.#options.dropped(nodeId)
  }

  /** Other live nodes. */
  ids(): string[] {
    return [...this.#lastSeen.keys()]
  }

  get size(): number {
    return this.#lastSeen.size
  }

  /** Stops the timers and says goodbye, so the others drop this node at once. */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const timer of this.#timers) clearInterval(timer)
    this.#timers = []
    if (this.#nodeId !== '' && this.#options.transport.status.up) {
      await this.#options.bus.post(this.#options.channels.nodes, this.#message('bye'))
    }
  }

  #heartbeat(): void {
    if (!this.#options.transport.status.up) return
    void this.#options.bus.post(this.#options.channels.nodes, this.#message('heartbeat'))
  }

  #sweep(): void {
    // While this node cannot hear anyone, silence proves nothing about the others.
    if (!this.#options.transport.status.up) return
    const deadline = Date.now() - this.#options.nodeTimeout
    for (const [nodeId, seen] of [...this.#lastSeen]) if (seen < deadline) this.drop(nodeId)
  }

  #message(event: NodeMessage['event']): Buffer {
    return encode({ kind: 'node', origin: this.#nodeId, event, time: Date.now() })
  }
}
