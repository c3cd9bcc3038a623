/** The controller message envelope `{ type, action, data?, requestId? }` and its shape check. */

/** Correlates a request with its reply; echoed back as sent. */
export type RequestId = string | number

/** A message routed by `type` + `action` (seed 004). `data` is the action's payload. */
export interface Envelope {
  type: string
  action: string
  data?: unknown
  requestId?: RequestId
}

/**
 * Whether `value` is an {@link Envelope}: a non-array object with string `type`
 * and `action`, and a `requestId` that is absent, a string or a finite number.
 */
export function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const { type, action, requestId } = value as Record<string, unknown>
  return typeof type === 'string' && typeof action === 'string' && isRequestIdOrAbsent(requestId)
}

/** The `requestId` to echo in a reply to `value`, even one that is not a valid envelope. */
export function requestIdOf(value: unknown): RequestId | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { requestId } = value as Record<string, unknown>
  return requestId !== undefined && isRequestIdOrAbsent(requestId) ? requestId : undefined
}

function isRequestIdOrAbsent(value: unknown): value is RequestId | undefined {
  return (
    value === undefined ||
    typeof value === 'string' ||
    (typeof value === 'number' && Number.isFinite(value))
  )
}
