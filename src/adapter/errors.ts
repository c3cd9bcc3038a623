/** The cluster adapter's error class; its codes are part of roomcast's closed set. */
import { ErrorCode, RoomcastError } from '../errors.js'

/** The codes an {@link AdapterError} can carry. */
export const AdapterErrorCode = {
  Down: ErrorCode.AdapterDown,
  Publish: ErrorCode.AdapterPublish,
  Subscribe: ErrorCode.AdapterSubscribe,
  Closed: ErrorCode.AdapterClosed,
} as const

export type AdapterErrorCode = (typeof AdapterErrorCode)[keyof typeof AdapterErrorCode]

/** A failure of the message bus, reported through the server's `error` event or a rejected promise. */
export class AdapterError extends RoomcastError {
  override name = 'AdapterError'
  declare readonly code: AdapterErrorCode
}
