/** Turns what the application sends into bytes once, whatever the number of recipients. */
import { buildFrame } from './frame.js'
import type { SendData } from './types.js'

/** An encoded message: its bytes, the frame type, and its frame once someone needs it. */
export class Payload {
  readonly data: Buffer
  readonly binary: boolean
  #frame: Buffer | undefined

  constructor(data: Buffer, binary: boolean) {
    this.data = data
    this.binary = binary
  }

  /** The uncompressed frame, built on first use and then shared by every recipient. */
  get frame(): Buffer {
    this.#frame ??= buildFrame(this)
    return this.#frame
  }
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
  if (typeof data === 'string') return new Payload(Buffer.from(data), false)
  if (Buffer.isBuffer(data)) return new Payload(data, true)
  if (data instanceof ArrayBuffer) return new Payload(Buffer.from(data), true)
  if (ArrayBuffer.isView(data)) {
    return new Payload(Buffer.from(data.buffer, data.byteOffset, data.byteLength), true)
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
  return new Payload(Buffer.from(text), false)
}
