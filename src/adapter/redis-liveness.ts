/**
 * Notices a Redis that stops answering while its socket stays open: a frozen
 * server (SIGSTOP, a stalled VM) or a network that silently drops packets.
 * Neither closes the connection, so node-redis would wait forever; a PING
 * that goes unanswered for `timeout` ms is what tells.
 */
import type { RedisClient } from './redis-transport.js'

export interface LivenessEvents {
  /** `client` left a PING unanswered for `timeout` ms. Reported once per silence. */
  silent(client: RedisClient): void
  /** `client` answered again after being reported silent. */
  answered(client: RedisClient): void
}

interface Probe {
  /** When the PING in flight was sent; `undefined` when none is. */
  sentAt: number | undefined
  silent: boolean
}

/** Probes three times per `timeout`, so a silence is seen within 4/3 × `timeout`. */
const PROBES_PER_TIMEOUT = 3

export class RedisLiveness {
  readonly #timeout: number
  readonly #events: LivenessEvents
  readonly #probes = new Map<RedisClient, Probe>()
  #timer: NodeJS.Timeout | undefined
  /** Round trip of the last PING answered, in ms. */
  latency: number | undefined

  constructor(timeout: number, events: LivenessEvents) {
    this.#timeout = timeout
    this.#events = events
  }

  /** Starts probing `client` (again, from scratch, when it was probed before). */
  watch(client: RedisClient): void {
    this.#probes.set(client, { sentAt: undefined, silent: false })
    this.#timer ??= setInterval(() => this.#tick(), this.#timeout / PROBES_PER_TIMEOUT).unref()
  }

  forget(client: RedisClient): void {
    this.#probes.delete(client)
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.#probes.clear()
  }

  #tick(): void {
    const now = performance.now()
    for (const [client, probe] of this.#probes) {
      if (probe.sentAt === undefined) {
        // Not connected is the reconnect logic's business; only a ready client is probed.
        if (client.isReady) this.#ping(client, probe, now)
      } else if (!probe.silent && now - probe.sentAt >= this.#timeout) {
        probe.silent = true
        // A round trip from before the silence would read as the bus's latency now.
        this.latency = undefined
        this.#events.silent(client)
      }
    }
  }

  #ping(client: RedisClient, probe: Probe, sentAt: number): void {
    probe.sentAt = sentAt
    client.ping().then(
      () => {
        if (this.#probes.get(client) !== probe) return
        this.latency = performance.now() - sentAt
        probe.sentAt = undefined
        if (!probe.silent) return
        probe.silent = false
        this.#events.answered(client)
      },
      // The connection failed meanwhile: its 'error' and 'ready' events say so.
      () => {
        if (this.#probes.get(client) === probe) probe.sentAt = undefined
      },
    )
  }
}
