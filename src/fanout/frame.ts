/** RFC 6455 §5.2 data frames, built once so one broadcast's bytes go to every socket. */
import type { Payload } from './payload.js'

const FIN = 0x80
/** RFC 7692 §6: RSV1 on the first frame marks a compressed message. */
const RSV1 = 0x40
const OPCODE_TEXT = 0x1
const OPCODE_BINARY = 0x2

/**
 * A complete unmasked server frame (§5.1: servers never mask) for `payload`:
 * FIN set, a 7-, 16- or 64-bit length (§5.2), then the data; with
 * `compressed`, RSV1 set and the deflated bytes in place of the payload.
 */
export function buildFrame(
  payload: Pick<Payload, 'data' | 'binary'>,
  compressed?: { data: Buffer },
): Buffer {
  const data = compressed?.data ?? payload.data
  const length = data.length
  const headerLength = length < 126 ? 2 : length <= 0xffff ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = FIN | (compressed ? RSV1 : 0) | (payload.binary ? OPCODE_BINARY : OPCODE_TEXT)
  if (length < 126) {
    frame[1] = length
  } else if (length <= 0xffff) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  data.copy(frame, headerLength)
  return frame
}
