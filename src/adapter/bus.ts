/**
 * An in-process message bus: cluster adapters in one process talk through it
 * as they would through Redis pub/sub, for tests and single-process clusters.
 */
import type { Transport, TransportStatus } from './transport.js'

/** A transport on the in-process bus, with what tests want to look at. */
export interface BusTransport extends Transport {
  /** Messages handed to this transport's listener so far. */
  readonly received: number
  /** The channels it is subscribed to. */
  readonly channels: ReadonlySet<string>
  readonly closed: boolean
}

export interface InProcessBus {
  /** A new transport on this bus, up unless the bus is down. */
  transport(): BusTransport
  /** Takes the bus down: every transport reports down, and publishing and subscribing reject. */
  down(reason?: string): void
  /** Brings it back: transports keep their subscriptions and report up. */
  up(): void
  /** Messages published but not yet delivered. */
  readonly pending: number
}

interface Delivery {
  to: BusMember[]
  channel: string
  message: Buffer
}

/**
 * @example
 * const bus = createInProcessBus()
 * const a = new ClusterAdapter({ transport: bus.transport() })
 * const b = new ClusterAdapter({ transport: bus.transport() })
 */
export function createInProcessBus(): InProcessBus {
  const members = new Set<BusMember>()
  let status: TransportStatus = { up: true }
  // One queue for the whole bus: every subscriber sees messages in publish order.
  const queue: Delivery[] = []
  let draining = false

  const drain = () => {
    draining = false
    for (const { to, channel, message } of queue.splice(0)) {
      for (const member of to) {
        try {
          member.deliver(channel, message)
        } catch (error) {
          // A listener's throw must not cost the other subscribers their messages.
          process.nextTick(() => {
            throw error
          })
        }
      }
    }
  }

  const bus = {
    status: () => status,
    publish(channel: string, message: Buffer) {
      const to = [...members].filter((member) => member.channels.has(channel))
      queue.push({ to, channel, message })
      if (!draining) {
        draining = true
        setImmediate(drain)
      }
    },
    leave(member: BusMember) {
      members.delete(member)
    },
  }

  const setStatus = (next: TransportStatus) => {
    status = next
    for (const member of [...members]) member.statusChanged(next)
  }

  return {
    transport() {
      const member = new BusMember(bus)
      members.add(member)
      return member
    },
    down(reason = 'in-process bus down') {
      if (!status.up) return
      setStatus({ up: false, reason })
      // Redis would drop what it had not delivered to a broken connection.
      queue.length = 0
    },
    up() {
      if (!status.up) setStatus({ up: true })
    },
    get pending() {
      return queue.length
    },
  }
}

interface Bus {
  status(): TransportStatus
  publish(channel: string, message: Buffer): void
  leave(member: BusMember): void
}

class BusMember implements BusTransport {
  readonly #bus: Bus
  readonly #channels = new Set<string>()
  #onMessage: ((channel: string, message: Buffer) => void) | undefined
  #onStatus: ((status: TransportStatus) => void) | undefined
  #received = 0
  #closed = false

  constructor(bus: Bus) {
    this.#bus = bus
  }

  get status(): TransportStatus {
    return this.#closed ? { up: false, reason: 'transport closed' } : this.#bus.status()
  }

  get received(): number {
    return this.#received
  }

  get channels(): ReadonlySet<string> {
    return this.#channels
  }

  get closed(): boolean {
    return this.#closed
  }

  async publish(channel: string, message: Buffer): Promise<void> {
    this.#check()
    this.#bus.publish(channel, message)
  }

  async subscribe(channels: readonly string[]): Promise<void> {
    this.#check()
    for (const channel of channels) this.#channels.add(channel)
  }

  async unsubscribe(channels: readonly string[]): Promise<void> {
    this.#check()
    for (const channel of channels) this.#channels.delete(channel)
  }

  onMessage(listener: (channel: string, message: Buffer) => void): void {
    this.#onMessage = listener
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.#onStatus = listener
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#channels.clear()
    this.#bus.leave(this)
  }

  /** Recipients are chosen at publish time, as Redis does: a message in flight still arrives. */
  deliver(channel: string, message: Buffer): void {
    if (this.#closed) return
    this.#received++
    this.#onMessage?.(channel, message)
  }

  statusChanged(status: TransportStatus): void {
    if (!this.#closed) this.#onStatus?.(status)
  }

  #check(): void {
    const status = this.status
    if (!status.up) throw new Error(`in-process bus: ${status.reason}`)
  }
}
