/** A JWT's `exp`, read without verifying: the client only needs to know when to refresh. */

/**
 * When `token` expires, in ms since the epoch: its payload's numeric `exp`
 * (seconds) × 1000; `undefined` when `token` is not a JWT or has no such claim.
 * @example
 * jwtExpiryMs('eyJhbGciOiJub25lIn0.eyJleHAiOjEwfQ.') // 10000
 */
export function jwtExpiryMs(token: string): number | undefined {
  const segments = token.split('.')
  if (segments.length !== 3) return undefined
  try {
    // atob yields one char per byte: other claims' UTF-8 comes out garbled, but the JSON stays
    // valid and a number reads the same, so no TextDecoder is needed. Padding is optional for atob.
    const claims: unknown = JSON.parse(
      atob((segments[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')),
    )
    const exp = (claims as { exp?: unknown } | null)?.exp
    return typeof exp === 'number' ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}
