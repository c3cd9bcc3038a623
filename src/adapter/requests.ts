/**
 * Cross-node requests in flight: which nodes still owe an answer, and the
 * deadline. A request always resolves, with whatever arrived and an error
 * for each node that did not answer; it never rejects as a whole.
 */
import type { ClusterResult, NodeError } from './types.js'

interface Pending {
  waiting: Set<string>
  result: ClusterResult<unknown>
  resolve(result: ClusterResult<unknown>): void
  timer: NodeJS.Timeout
}

export class PendingRequests {
  readonly #pending = new Map<number, Pending>()
  #nextId = 0

  /**
   * Starts waiting for `nodes`, on top of answers and errors already known
   * (this node's own). @returns the request id to send and the result.
   */
  start(
    nodes: readonly string[],
    timeout: number,
    answers: Map<string, unknown>,
    errors: NodeError[],
  ): { id: number; result: Promise<ClusterResult<unknown>> } {
    const id = this.#nextId++
    const result = new Promise<ClusterResult<unknown>>((resolve) => {
      // Not unref'd: someone awaits this result, and the deadline is what ends the wait.
      const timer = setTimeout(() => this.#expire(id, timeout), timeout)
      const pending = {
        waiting: new Set(nodes),
        result: { answers, errors, partial: errors.length > 0 },
        resolve,
        timer,
      }
      this.#pending.set(id, pending)
      this.#settleIfDone(id, pending)
    })
    return { id, result }
  }

  answered(id: number, nodeId: string, answer: unknown): void {
    const pending = this.#take(id, nodeId)
    if (pending === undefined) return
    pending.result.answers.set(nodeId, answer)
    this.#settleIfDone(id, pending)
  }

  /** `nodeId` will not answer request `id`: it failed, or the request could not reach it. */
  failed(id: number, nodeId: string, error: string): void {
    const pending = this.#take(id, nodeId)
    if (pending === undefined) return
    pending.result.errors.push({ nodeId, error })
    this.#settleIfDone(id, pending)
  }

  /** A node left or was dropped: nothing it owes will come. */
  nodeLeft(nodeId: string): void {
    for (const id of [...this.#pending.keys()]) this.failed(id, nodeId, 'node left the cluster')
  }

  /** Settles every request now, each waiting node with `error`. */
  closeAll(error: string): void {
    for (const [id, pending] of [...this.#pending]) {
      for (const nodeId of [...pending.waiting]) this.failed(id, nodeId, error)
    }
  }

  #take(id: number, nodeId: string): Pending | undefined {
    const pending = this.#pending.get(id)
    if (pending === undefined || !pending.waiting.delete(nodeId)) return undefined
    return pending
  }

  #expire(id: number, timeout: number): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    for (const nodeId of [...pending.waiting]) {
      this.failed(id, nodeId, `no answer within ${timeout} ms`)
    }
  }

  #settleIfDone(id: number, pending: Pending): void {
    if (pending.waiting.size > 0) return
    clearTimeout(pending.timer)
    this.#pending.delete(id)
    pending.result.partial = pending.result.errors.length > 0
    pending.resolve(pending.result)
  }
}
