/**
 * What a cluster adapter needs of its message bus: channels, bytes, and
 * whether the bus is up. Redis pub/sub is one; an in-process bus is another
 * (so cluster logic is tested without Redis).
 */

import type { ClusterStore } from './store.js'

export type TransportStatus = { up: true } | { up: false; reason: string }

export interface Transport {
  /** Fails fast (rejects) while the bus is down; never queues for later. */
  publish(channel: string, message: Buffer): Promise<void>
  /** Adds channels; calls in the same tick are sent as one batch. */
  subscribe(channels: readonly string[]): Promise<void>
  unsubscribe(channels: readonly string[]): Promise<void>
  /** Every message on a subscribed channel. Set once, before subscribing. */
  onMessage(listener: (channel: string, message: Buffer) => void): void
  /**
   * The bus went down or came back. On coming back the transport has already
   * re-subscribed every channel it holds; the adapter re-announces itself.
   */
  onStatus(listener: (status: TransportStatus) => void): void
  readonly status: TransportStatus
  /** Round trip of the last liveness probe in ms, for a bus that probes. */
  readonly latency?: number | undefined
  /**
   * Storage that publishes as it stores, for room history, recovery and
   * offline queues across nodes; a bus without it has none of them.
   */
  createStore?(prefix: string): ClusterStore
  close(): Promise<void>
}
