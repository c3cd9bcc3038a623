/** `wss.shutdown()`: its options, and the order a deploy-friendly close runs in. */
import { assertKnownKeys, count, duration, invalid, keySet } from '../options/index.js'
import { type DrainHost, type DrainPlan, drainInBatches } from './drain.js'

/** How `shutdown()` paces its closes (Phoenix's drainer: so many per interval). */
export interface DrainOptions {
  /** Connections closed at once. A positive integer. @default 10_000 */
  batchSize?: number
  /** Wait between two batches (ms). @default 2000 */
  interval?: number
}

/**
 * The reconnect delay advised to each connection, drawn per connection:
 * `minDelay + ⌊random() × spread⌋` ms. The roomcast client then waits
 * `retry × (0.5 + random() / 2)` (exactly `retry` with `reconnect.jitter: false`).
 */
export interface RetryAdviceOptions {
  /** The shortest advised delay (ms). @default 1000 */
  minDelay?: number
  /** Width of the window the delays are spread over (ms). @default `drain.interval` */
  spread?: number
}

/** Options of `wss.shutdown()`. */
export interface ShutdownOptions {
  /**
   * Budget for the whole shutdown (ms), counted from the call: connections
   * still open when it runs out are terminated. Under Kubernetes' default
   * 30 s grace period, with time left to leave the cluster.
   * @default 25_000
   */
  timeout?: number
  /** @default { batchSize: 10_000, interval: 2000 } */
  drain?: DrainOptions
  /** @default { minDelay: 1000, spread: drain.interval } */
  retry?: RetryAdviceOptions
}

/** Resolved shutdown options. */
export interface ShutdownPlan extends DrainPlan {
  readonly timeout: number
}

const SHUTDOWN_KEYS = keySet<ShutdownOptions>({ timeout: true, drain: true, retry: true })
const DRAIN_KEYS = keySet<DrainOptions>({ batchSize: true, interval: true })
const RETRY_KEYS = keySet<RetryAdviceOptions>({ minDelay: true, spread: true })

const CONTEXT = { object: 'shutdown' } as const

/**
 * Checks `options` before anything happens, naming the offending option.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for an unknown key or a value out of range.
 */
export function resolveShutdown(options: unknown, scope = 'shutdown()'): ShutdownPlan {
  const given = objectOption(options, '', scope, SHUTDOWN_KEYS)
  const drain = objectOption(given.drain, 'drain.', scope, DRAIN_KEYS)
  const retry = objectOption(given.retry, 'retry.', scope, RETRY_KEYS)
  const interval = count('drain.interval', drain.interval, duration, 2000)
  return {
    timeout: count('timeout', given.timeout, duration, 25_000),
    batchSize: count('drain.batchSize', drain.batchSize, { min: 1 }, 10_000),
    interval,
    retryMinDelay: count('retry.minDelay', retry.minDelay, duration, 1000),
    retrySpread: count('retry.spread', retry.spread, duration, interval),
  }
}

/** `value` as an options object (absent is empty) whose keys are all in `known`. */
function objectOption(
  value: unknown,
  path: string,
  scope: string,
  known: ReadonlySet<string>,
): Record<string, unknown> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path === '' ? `${scope} options` : path.slice(0, -1), 'an options object', value)
  }
  assertKnownKeys(value, known, { ...CONTEXT, path, scope })
  return value as Record<string, unknown>
}

/** What the shutdown needs of the server. */
export interface ShutdownHost extends DrainHost {
  /** The server's `closeTimeout`: how long terminated sockets get to report their close. */
  readonly closeTimeout: number
  /** Ends the handshakes waiting on verification with 503 (new ones get it already). */
  abortPending(): void
  /** What every close ends with: the heartbeat stopped, detached, ws servers closed, the adapter left. */
  release(): Promise<void>
}

/**
 * Drains in batches, waits for the close handshakes until the budget runs
 * out, terminates what is still open, then releases what the server holds.
 * Until its batch comes, a connection is served as before, heartbeat included.
 */
export async function shutdownGracefully(plan: ShutdownPlan, host: ShutdownHost): Promise<void> {
  const deadline = performance.now() + plan.timeout
  host.abortPending()
  await drainInBatches(plan, host, deadline)
  await host.whenEmpty(Math.max(0, deadline - performance.now()))
  for (const conn of host.connections.values()) conn.terminate()
  await host.whenEmpty(host.closeTimeout)
  await host.release()
}
