/**
 * A node's way onto the bus: publishes that never throw, failures counted,
 * each outage reported once rather than once per lost message, and a bound
 * on what is in flight so a bus that stops answering cannot grow the heap.
 */
import { toError } from '../errors.js'
import { AdapterError, AdapterErrorCode } from './errors.js'
import type { Transport } from './transport.js'

const summary = {
  [AdapterErrorCode.Down]: 'message bus down',
  [AdapterErrorCode.Publish]: 'publish failed',
  [AdapterErrorCode.Subscribe]: 'subscription change failed',
  [AdapterErrorCode.Closed]: 'closed',
} as const

export class BusPublisher {
  readonly #transport: Transport
  readonly #onError: (error: AdapterError) => void
  readonly #maxPending: number
  #published = 0
  #pending = 0
  #dropped = 0
  #failures = 0
  /** Set once a failure was reported; cleared when publishing works again. */
  #reported = false
  #muted = false

  constructor(transport: Transport, maxPending: number, onError: (error: AdapterError) => void) {
    this.#transport = transport
    this.#maxPending = maxPending
    this.#onError = onError
  }

  /** Publishes that failed since the start. */
  get failures(): number {
    return this.#failures
  }

  /** Publishes handed to the bus since the start. */
  get published(): number {
    return this.#published
  }

  /** Publishes sent and not yet settled. */
  get pending(): number {
    return this.#pending
  }

  /** Publishes not sent because `maxPendingPublishes` were outstanding. */
  get dropped(): number {
    return this.#dropped
  }

  /**
   * Whether another publish may go out now. When not, the cross-node part is
   * dropped and counted here: queueing it would only grow the heap while the
   * bus does not answer.
   */
  admit(): boolean {
    if (this.#pending < this.#maxPending) return true
    this.#dropped++
    this.report(AdapterErrorCode.Publish, this.#saturation())
    return false
  }

  /** Counts `operation` (a publish through the store) as in flight until it settles. */
  track<T>(operation: Promise<T>): Promise<T> {
    this.#published++
    this.#pending++
    return operation.finally(this.#settled)
  }

  /** Publishes without throwing. @returns whether the bus took the message. */
  post(channel: string, message: Buffer): Promise<boolean> {
    const status = this.#transport.status
    if (!status.up) {
      this.#failures++
      this.report(AdapterErrorCode.Down, new Error(status.reason))
      return Promise.resolve(false)
    }
    if (!this.admit()) return Promise.resolve(false)
    this.#published++
    this.#pending++
    return this.#transport.publish(channel, message).then(this.#sent, this.#failed)
  }

  /**
   * Publishes for a caller who wants to know: counted, not reported. A publish
   * that times out may still have been delivered: it is never retried here.
   * @throws {AdapterError} (rejects) `ERR_ADAPTER_DOWN` while the bus is down,
   * `ERR_ADAPTER_PUBLISH` when it fails or `maxPendingPublishes` are outstanding.
   */
  async send(channel: string, message: Buffer): Promise<void> {
    const status = this.#transport.status
    if (!status.up) {
      this.#failures++
      throw this.#error(AdapterErrorCode.Down, new Error(status.reason))
    }
    if (this.#pending >= this.#maxPending) {
      this.#dropped++
      throw this.#error(AdapterErrorCode.Publish, this.#saturation())
    }
    try {
      await this.track(this.#transport.publish(channel, message))
    } catch (error) {
      this.#failures++
      throw this.#error(AdapterErrorCode.Publish, error)
    }
  }

  /** Hands `cause` to the error listener unless this outage was reported already. */
  report(code: AdapterErrorCode, cause: unknown): void {
    if (this.#reported || this.#muted) return
    this.#reported = true
    this.#onError(this.#error(code, cause))
  }

  /** The bus is back: the next failure is news. */
  recovered(): void {
    this.#reported = false
  }

  /** Stops reporting (after close). */
  mute(): void {
    this.#muted = true
  }

  #saturation(): Error {
    return new Error(
      `${this.#pending} publishes outstanding (maxPendingPublishes): the bus is not keeping up, so this one was not sent`,
    )
  }

  #error(code: AdapterErrorCode, cause: unknown): AdapterError {
    const message = `cluster adapter: ${summary[code]}: ${toError(cause).message}`
    return new AdapterError(code, message, { cause })
  }

  // Bound once: a broadcast publishes on many channels and must not allocate handlers for each.
  readonly #settled = (): void => {
    this.#pending--
  }

  readonly #sent = (): boolean => {
    this.#pending--
    if (this.#reported && this.#transport.status.up) this.#reported = false
    return true
  }

  readonly #failed = (error: unknown): boolean => {
    this.#pending--
    this.#failures++
    this.report(AdapterErrorCode.Publish, error)
    return false
  }
}
