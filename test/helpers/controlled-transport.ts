/** Wraps a transport to record subscription changes and to silence a node as a crash would. */
import type { Transport, TransportStatus } from '../../src/adapter/transport.ts'

export class ControlledTransport implements Transport {
  readonly inner: Transport
  readonly calls: Array<{ op: 'subscribe' | 'unsubscribe'; channels: string[] }> = []
  /** Drops everything this node publishes and receives; it still believes the bus is up. */
  silenced = false

  constructor(inner: Transport) {
    this.inner = inner
  }

  get status(): TransportStatus {
    return this.inner.status
  }

  publish(channel: string, message: Buffer): Promise<void> {
    return this.silenced ? Promise.resolve() : this.inner.publish(channel, message)
  }

  subscribe(channels: readonly string[]): Promise<void> {
    this.calls.push({ op: 'subscribe', channels: [...channels] })
    return this.inner.subscribe(channels)
  }

  unsubscribe(channels: readonly string[]): Promise<void> {
    this.calls.push({ op: 'unsubscribe', channels: [...channels] })
    return this.inner.unsubscribe(channels)
  }

  onMessage(listener: (channel: string, message: Buffer) => void): void {
    this.inner.onMessage((channel, message) => {
      if (!this.silenced) listener(channel, message)
    })
  }

  onStatus(listener: (status: TransportStatus) => void): void {
    this.inner.onStatus(listener)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
