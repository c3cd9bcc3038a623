/**
 * A node's way onto the bus: publishes that never throw, failures counted,
 * and each outage reported once rather than once per lost message.
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
  #failures = 0
  /** Set once a failure was reported; cleared when publishing works again. */
  #reported = false
  #muted = false

  constructor(transport: Transport, onError: (error: AdapterError) => void) {
    this.#transport = transport
    this.#onError = onError
  }

  /** Publishes that failed since the start. */
  get failures(): number {
    return this.#failures
  }

  /** Publishes without throwing. @returns whether the bus took the message. */
  post(channel: string, message: Buffer): Promise<boolean> {
    const status = this.#transport.status
    if (!status.up) {
      this.#failures++
      this.report(AdapterErrorCode.Down, new Error(status.reason))
      return Promise.resolve(false)
    }
    return this.#transport.publish(channel, message).then(this.#sent, this.#failed)
  }

  /**
   * Publishes for a caller who wants to know: counted, not reported.
   * @throws {AdapterError} (rejects) `ERR_ADAPTER_DOWN` or `ERR_ADAPTER_PUBLISH`.
   */
  async send(channel: string, message: Buffer): Promise<void> {
    const status = this.#transport.status
    try {
      if (!status.up) throw new Error(status.reason)
      await this.#transport.publish(channel, message)
    } catch (error) {
      this.#failures++
      const code = status.up ? AdapterErrorCode.Publish : AdapterErrorCode.Down
      throw this.#error(code, error)
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

  #error(code: AdapterErrorCode, cause: unknown): AdapterError {
    const message = `cluster adapter: ${summary[code]}: ${toError(cause).message}`
    return new AdapterError(code, message, { cause })
  }

  // Bound once: a broadcast publishes on many channels and must not allocate handlers for each.
  readonly #sent = (): boolean => {
    if (this.#reported && this.#transport.status.up) this.#reported = false
    return true
  }

  readonly #failed = (error: unknown): boolean => {
    this.#failures++
    this.report(AdapterErrorCode.Publish, error)
    return false
  }
}
