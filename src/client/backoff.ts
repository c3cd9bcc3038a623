/** How long to wait before a reconnect attempt: backoff with full jitter, or the server's advice. */
import type { ReconnectOptions } from './options.js'

/**
 * The wait before attempt `attempt` (1 for the first after a loss):
 * `min(maxDelay, initialDelay × factor^(attempt − 1))`, times `random()` with
 * full jitter, so that clients dropped together do not return together.
 * @example
 * backoffDelay(3, { initialDelay: 1000, maxDelay: 30000, factor: 2, jitter: false }, Math.random) // 4000
 */
export function backoffDelay(
  attempt: number,
  policy: Readonly<Required<Omit<ReconnectOptions, 'maxAttempts'>>>,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelay, policy.initialDelay * policy.factor ** (attempt - 1))
  return policy.jitter ? random() * ceiling : ceiling
}

/**
 * The wait the server advised (`{"t":"advice","retry":ms}`): between half of
 * `retry` and all of it, `retry × (0.5 + random() / 2)`, so a server that
 * restarts does not get every client back in the same instant; exactly
 * `retry` without jitter.
 */
export function advisedDelay(retry: number, jitter: boolean, random: () => number): number {
  return jitter ? retry * (0.5 + random() / 2) : retry
}
