/** Turns what the application sends into bytes once, whatever the number of recipients. */
import { constants, deflateRawSync } from 'node:zlib'
import type { SendData } from '../types.js'
import { CONTROL_MARK, controlFrame, type RoomPosition } from './envelope.js'
import { buildFrame } from './frame.js'

/** An encoded message: its bytes, the frame type, and its frame once someone needs it. */
export class Payload {
  readonly data: Buffer
  readonly binary: boolean
  /** Where this message was kept, in each history room it went to; set before delivery. */
  positions: readonly RoomPosition[] | undefined
  #frame: Buffer | undefined
  #deflated: Map<number, Buffer> | undefined
  #forClient: Payload | undefined

  constructor(data: Buffer, binary: boolean, positions?: readonly RoomPosition[]) {
    this.data = data
    this.binary = binary
    this.positions = positions
  }

  /**
   * What a roomcast client receives instead: the message with its positions,
   * or escaped when it starts like a control frame. Built once per broadcast,
   * like the plain frame; the message itself when it needs neither.
   */
  get forClient(): Payload {
    if (this.positions === undefined && this.data[0] !== CONTROL_MARK) return this
    this.#forClient ??= new Payload(
      controlFrame({ t: 'msg', ...(this.positions && { p: this.positions }) }, this.data),
      this.binary,
    )
    return this.#forClient
  }

  /** The uncompressed frame, built on first use and then shared by every recipient. */
  get frame(): Buffer {
    this.#frame ??= buildFrame(this)
    return this.#frame
  }

  /**
   * The permessage-deflate frame for a `windowBits` window, compressed once
   * per window size and shared by every connection that negotiated it. Each
   * message is compressed on its own (no context takeover), as RFC 7692 §7.2.1
   * describes: raw deflate, sync-flushed, without the trailing 00 00 ff ff.
   * Messages under `threshold` bytes go uncompressed.
   */
  deflatedFrame(windowBits: number, threshold: number): Buffer {
    if (this.data.length < threshold) return this.frame
    this.#deflated ??= new Map()
    let frame = this.#deflated.get(windowBits)
    if (frame === undefined) {
      const flushed = deflateRawSync(this.data, { windowBits, finishFlush: constants.Z_SYNC_FLUSH })
      frame = buildFrame(this, { data: flushed.subarray(0, flushed.length - 4) })
      this.#deflated.set(windowBits, frame)
    }
    return frame
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
