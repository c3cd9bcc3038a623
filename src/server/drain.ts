/**
 * Closing connections in batches for a rolling deploy: each gets 1012 Service
 * Restart with its own retry hint, so the other nodes see reconnects arrive
 * spread out instead of in one storm.
 */
import { CloseCode } from '../close-codes.js'
import type { ControlHeader } from '../fanout/index.js'

/** What draining needs of a connection. */
export interface DrainTarget {
  readonly isOpen: boolean
  /** Set once this side sent a close frame: such a connection is closing already. */
  readonly closeSent: { readonly code: number } | undefined
  /** Reaches roomcast clients only; plain clients never see control frames. */
  sendControl(header: ControlHeader): void
  close(code: number, reason: string): void
  terminate(): void
}

/** How the drain paces itself and what it advises. */
export interface DrainPlan {
  readonly batchSize: number
  readonly interval: number
  readonly retryMinDelay: number
  readonly retrySpread: number
}

export interface DrainHost {
  readonly connections: { values(): Iterable<DrainTarget> }
  /** Resolves when the last connection closed, or after `ms`. */
  whenEmpty(ms: number): Promise<void>
}

/**
 * The reconnect delay advised to one connection: `minDelay + ⌊random() × spread⌋`
 * ms, drawn per connection. With `spread` equal to the drain interval, the
 * reconnects of one batch fill the gap until the next batch's begin.
 */
export function retryDelay(plan: DrainPlan, random: () => number = Math.random): number {
  return plan.retryMinDelay + Math.floor(random() * plan.retrySpread)
}

/** Advises a roomcast client when to come back, then closes with 1012; the reason says it too. */
function closeForRestart(conn: DrainTarget, retry: number): void {
  conn.sendControl({ t: 'advice', retry })
  conn.close(CloseCode.ServiceRestart, `Server restarting; retry in ${retry} ms`)
}

/**
 * Up to `limit` connections that are still open and that nothing closed yet:
 * one that closed on its own, or is closing for another reason, is not
 * counted against a batch.
 */
function nextBatch(connections: Iterable<DrainTarget>, limit: number): DrainTarget[] {
  const batch: DrainTarget[] = []
  for (const conn of connections) {
    if (batch.length === limit) break
    if (conn.isOpen && conn.closeSent === undefined) batch.push(conn)
  }
  return batch
}

/**
 * Closes `batchSize` connections, waits `interval` ms (less when the server
 * empties meanwhile), and again, until none is left to close or `deadline`
 * (a `performance.now()` time) passed. Resolves once the last batch was sent
 * its close; it does not wait for the close handshakes.
 */
export async function drainInBatches(
  plan: DrainPlan,
  host: DrainHost,
  deadline: number,
): Promise<void> {
  for (;;) {
    const batch = nextBatch(host.connections.values(), plan.batchSize)
    for (const conn of batch) closeForRestart(conn, retryDelay(plan))
    if (nextBatch(host.connections.values(), 1).length === 0) return
    const left = deadline - performance.now()
    if (left <= 0) return
    // The budget runs out before the next batch: the rest are terminated, not sent one more.
    // Decided now: a timer may fire a little early by performance.now().
    const budgetEnds = left <= plan.interval
    await host.whenEmpty(budgetEnds ? left : plan.interval)
    if (budgetEnds) return
  }
}
