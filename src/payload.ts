/** Turns what the application sends into bytes once, whatever the number of recipients. */
import type { SendData } from './types.ts'

/** An encoded message: the bytes and the frame type they go out as. */
export interface Payload {
  readonly data: Buffer
  readonly binary: boolean
}

function payloadTypeError(data: unknown): TypeError {
  const type = data === null ? 'null' : Array.isArray(data) ? 'array' : typeof data
  const error = new TypeError(
    `send() accepts a string, Buffer, ArrayBuffer or TypedArray, got ${type}; use json() to send objects`,
  )
  return Object.assign(error, { code: 'ERR_INVALID_PAYLOAD' as const })
}

/**
 * Encodes `data` for sending: strings as UTF-8 text frames, bytes as binary
 * frames (views share memory, nothing is copied).
 * @throws {TypeError} `ERR_INVALID_PAYLOAD` for any other type.
 */
export function toPayload(data: SendData): Payload {
  if (typeof data === 'string') return { data: Buffer.from(data), binary: false }
  if (Buffer.isBuffer(data)) return { data, binary: true }
  if (data instanceof ArrayBuffer) return { data: Buffer.from(data), binary: true }
  if (ArrayBuffer.isView(data)) {
    return { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), binary: true }
  }
  throw payloadTypeError(data)
}

/**
 * Encodes `value` as a JSON text frame.
 * @throws {TypeError} when `value` has no JSON form (`undefined`, a function) or is circular.
 */
export function toJsonPayload(value: unknown): Payload {
  const text = JSON.stringify(value)
  if (text === undefined) {
    throw new TypeError(`json() cannot encode ${typeof value}: it has no JSON representation`)
  }
  return { data: Buffer.from(text), binary: false }
}
