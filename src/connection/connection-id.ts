/**
 * Connection ids: random (version 4) UUIDs, made as one flat 36-byte string.
 * `crypto.randomUUID()` returns a string concatenated from pieces, which V8
 * keeps as a tree of about 450 bytes for the connection's whole life.
 */
import { randomFillSync } from 'node:crypto'

const HEX = Buffer.from('0123456789abcdef', 'latin1')
const DASH = 0x2d
/** Entropy for 256 ids at a time, from the same CSPRNG as randomUUID(). */
const pool = Buffer.allocUnsafe(16 * 256)
let used = pool.length
const text = Buffer.allocUnsafe(36)

export function newConnectionId(): string {
  if (used === pool.length) {
    randomFillSync(pool)
    used = 0
  }
  let at = 0
  for (let i = 0; i < 16; i++) {
    let byte = pool[used + i] as number
    if (i === 6)
      byte = (byte & 0x0f) | 0x40 // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80 // RFC 4122 variant
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = DASH
    text[at++] = HEX[byte >> 4] as number
    text[at++] = HEX[byte & 0x0f] as number
  }
  used += 16
  return text.toString('latin1', 0, 36)
}
