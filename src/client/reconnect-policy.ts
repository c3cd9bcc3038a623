/** Whether a close is final and, when it is not, how long to wait: the rules of docs/protocol.md. */
import { advisedDelay, backoffDelay } from './backoff.js'
import type { ResolvedOptions } from './options.js'

/** The server's close for a token past its `exp`: the reconnect asks the provider for a fresh one. */
const TOKEN_EXPIRED = 4001
/** The server's close for a revoked token: a fresh one would be refused too. */
const TOKEN_REVOKED = 4003

/** Close codes a retry cannot fix: normal closure, protocol, data, policy and size errors, revocation. */
const FINAL_CODES: ReadonlySet<number> = new Set([
  1000,
  1002,
  1003,
  1007,
  1008,
  1009,
  1010,
  TOKEN_REVOKED,
])

/** The server's last advice on a connection, applied to the close that follows it. */
export type Advice = { readonly retry: number } | { readonly final: true }

/** What a close leads to. */
export type NextStep = { readonly final: true } | { readonly final: false; readonly delay: number }

/** What the decision needs to know about the close. */
export interface CloseFacts {
  readonly code: number
  /** The application called `close()`. */
  readonly byApplication: boolean
  readonly advice: Advice | undefined
  /** The attempt this close would lead to: 1 after the first loss. */
  readonly attempt: number
}

/**
 * Final when the application closed, the server advised so, the code says so or attempts ran out.
 * Otherwise the wait is the advised one, none after an expired token (the session is fine, only
 * the token needs replacing), or the backoff.
 */
export function nextStep(
  facts: CloseFacts,
  options: Pick<ResolvedOptions, 'reconnect' | 'random'>,
): NextStep {
  const { reconnect, random } = options
  if (facts.byApplication || reconnect === false || FINAL_CODES.has(facts.code)) {
    return { final: true }
  }
  if (facts.advice !== undefined && 'final' in facts.advice) return { final: true }
  if (facts.attempt > reconnect.maxAttempts) return { final: true }
  const delay =
    facts.advice !== undefined
      ? advisedDelay(facts.advice.retry, reconnect.jitter, random)
      : facts.code === TOKEN_EXPIRED
        ? 0
        : backoffDelay(facts.attempt, reconnect, random)
  return { final: false, delay }
}
