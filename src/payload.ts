/** Turns what the application sends into bytes once, whatever the number of recipients. */
import type { SendData } from './types.js'

/** An encoded message: the bytes and the frame type they go out as. */
export interface Payload {
  readonly data: Buffer
  readonly binary: boolean
}

function payloadError(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_PAYLOAD' as const })
}

function typeName(data: unknown): string {
  return data === null ? 'null' : Array.isArray(data) ? 'array' : typeof data
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
  throw payloadError(
    `send() accepts a string, Buffer, ArrayBuffer or TypedArray, got ${typeName(data)}; use json() to send objects`,
  )
}

/**
 * Encodes `value` as a JSON text frame.
 * @throws {TypeError} `ERR_INVALID_PAYLOAD` when `value` has no JSON form (`undefined`, a
 * function); JSON.stringify's own TypeError when it is circular or holds a BigInt.
 */
export function toJsonPayload(value: unknown): Payload {
  const text = JSON.stringify(value)
  if (text === undefined) {
    throw payloadError(`json() cannot encode ${typeName(value)}: it has no JSON representation`)
  }
  return { data: Buffer.from(text), binary: false }
}
