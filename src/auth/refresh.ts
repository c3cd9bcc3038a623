/**
 * The in-band refresh, `{ type: 'system', action: 'refresh', data: { token },
 * requestId }`, answered `{ …, data: { exp } }` or with `ERR_UNAUTHORIZED`.
 * Taken out of a connection's messages wherever its route has `auth`.
 */
import { ErrorCode } from '../errors.js'
import { type RequestId, requestIdOf } from '../message/envelope.js'
import { errorReply, resultReply } from '../message/reply.js'
import type { TokenHolder, TokenLifetimes } from './lifetimes.js'

/** Refresh requests are small; a longer message is never parsed to find out. */
const MAX_REFRESH_LENGTH = 16 * 1024

interface RefreshRequest {
  token: unknown
  requestId: RequestId | undefined
}

/** The refresh request `text` is, if it is one; costs a length and a substring check otherwise. */
export function readRefresh(text: string): RefreshRequest | undefined {
  if (text.length > MAX_REFRESH_LENGTH || !text.includes('"refresh"')) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { type, action, data } = value as Record<string, unknown>
  if (type !== 'system' || action !== 'refresh') return undefined
  const token =
    typeof data === 'object' && data !== null ? (data as { token?: unknown }).token : undefined
  return { token, requestId: requestIdOf(value) }
}

/** Verifies and applies a refresh, then replies; `refused` hears why a token was not taken. */
export function answerRefresh<C extends TokenHolder>(
  lifetimes: TokenLifetimes<C>,
  conn: C,
  request: RefreshRequest,
  refused: (conn: C, reason: string) => void,
): void {
  const { token, requestId } = request
  const refuse = (reason: string) => {
    refused(conn, reason)
    conn.json(
      errorReply('refresh', requestId, { code: ErrorCode.Unauthorized, message: 'Token refused' }),
    )
  }
  lifetimes.refresh(conn, token).then(
    // `null` for a token that never expires: the reply always carries `exp`.
    (exp) => conn.json(resultReply('system', 'refresh', requestId, { exp: exp ?? null })),
    (error: unknown) => refuse((error as Error).message),
  )
}
