/** RFC 6455 §7.4 close codes: named constants, what may be sent, reason length. */

/** Close codes roomcast sends or reports, by name. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reported when a connection dropped without a close frame; never sent. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  /** The server restarts (a deploy, a reloaded handler): reconnect, soon. */
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  /** The connection's token expired (roomcast's own code, in the application range). */
  TokenExpired: 4001,
  /** `wss.revoke()` ended the connection's user or token. */
  Revoked: 4003,
} as const

/** RFC 6455 §5.5: a control frame payload is at most 125 bytes, 2 of them the code. */
export const MAX_CLOSE_REASON_BYTES = 123

/**
 * Whether `code` may appear in a close frame we send. 1004 is reserved and
 * 1005/1006/1015 are reserved for reporting (RFC 6455 §7.4.1); 3000–4999 are
 * for libraries and applications.
 */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false
  if (code >= 3000 && code <= 4999) return true
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006
}

/** Cuts `reason` to at most 123 UTF-8 bytes without splitting a character. */
export function truncateCloseReason(reason: string): string {
  if (reason.length <= MAX_CLOSE_REASON_BYTES / 3) return reason
  if (Buffer.byteLength(reason) <= MAX_CLOSE_REASON_BYTES) return reason
  let bytes = 0
  let end = 0
  for (const char of reason) {
    const size = Buffer.byteLength(char)
    if (bytes + size > MAX_CLOSE_REASON_BYTES) break
    bytes += size
    end += char.length
  }
  return reason.slice(0, end)
}
