/** The code and reason `close()` may send (RFC 6455 §7.4): checked code, reason cut to 123 bytes. */

// A close frame's payload is at most 125 bytes, two of them the code (RFC 6455 §5.5).
const MAX_REASON_BYTES = 123
const encoder = new TextEncoder()

/** @throws {TypeError} unless `code` is 1000 or in 3000–4999, the codes an application may send. */
export function checkCloseCode(code: number): void {
  if (code !== 1000 && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
    throw new TypeError(`close: code ${code} is not 1000 or in 3000-4999`)
  }
}

/** `reason`, cut at a character boundary to fit in 123 UTF-8 bytes. */
export function closeReason(reason: string): string {
  if (encoder.encode(reason).length <= MAX_REASON_BYTES) return reason
  let bytes = 0
  let cut = ''
  for (const char of reason) {
    bytes += encoder.encode(char).length
    if (bytes > MAX_REASON_BYTES) break
    cut += char
  }
  return cut
}
