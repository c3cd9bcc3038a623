/** The cluster adapter's error class and its codes (to be merged into src/errors.ts). */

/** Every code an {@link AdapterError} can carry; the set is closed. */
export const AdapterErrorCode = {
  /** The message bus is down: cross-node delivery and requests fail until it is back. */
  Down: 'ERR_ADAPTER_DOWN',
  /** A publish failed while the bus was reported up. */
  Publish: 'ERR_ADAPTER_PUBLISH',
  /** Subscribing or unsubscribing a channel failed; it is retried when the bus is back. */
  Subscribe: 'ERR_ADAPTER_SUBSCRIBE',
  /** The adapter or emitter was used after `close()`. */
  Closed: 'ERR_ADAPTER_CLOSED',
} as const

export type AdapterErrorCode = (typeof AdapterErrorCode)[keyof typeof AdapterErrorCode]

/** A failure of the message bus, reported through `host.error()` or a rejected promise. */
export class AdapterError extends Error {
  override name = 'AdapterError'
  readonly code: AdapterErrorCode

  constructor(code: AdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
