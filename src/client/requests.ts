/** Requests waiting for their reply: fresh string ids, timeouts, and settling by `requestId`. */
import { ClientError, ClientErrorCode, type ErrorBody, RequestError } from './errors.js'
import type { Clock } from './timers.js'

interface Pending {
  readonly resolve: (data: unknown) => void
  readonly reject: (error: Error) => void
  readonly timer: unknown
}

/** The pending requests of one client. */
export class PendingRequests {
  readonly #pending = new Map<string, Pending>()
  readonly #clock: Clock
  #lastId = 0

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Opens a request; it rejects with `ERR_TIMEOUT` unless settled within `timeout` ms. */
  open(timeout: number): { id: string; reply: Promise<unknown> } {
    this.#lastId += 1
    const id = String(this.#lastId)
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = Number.isFinite(timeout)
        ? this.#clock.set(
            () =>
              this.fail(
                id,
                new ClientError(ClientErrorCode.Timeout, `No reply within ${timeout} ms`),
              ),
            timeout,
          )
        : undefined
      this.#pending.set(id, { resolve, reject, timer })
    })
    return { id, reply }
  }

  has(id: string): boolean {
    return this.#pending.has(id)
  }

  /**
   * Settles the request `message` replies to: `{ type: 'error', error }`
   * rejects with a {@link RequestError}, anything else resolves with `data`.
   * `false` when `message` answers no pending request.
   */
  settle(message: Record<string, unknown>): boolean {
    const id = message.requestId
    const pending = typeof id === 'string' ? this.#take(id) : undefined
    if (pending === undefined) return false
    if (message.type === 'error') pending.reject(new RequestError(errorBodyOf(message.error)))
    else pending.resolve(message.data)
    return true
  }

  /** Rejects one request with `error`; nothing when it is already settled. */
  fail(id: string, error: Error): void {
    this.#take(id)?.reject(error)
  }

  /** Rejects every pending request with `error`. */
  failAll(error: Error): void {
    for (const id of [...this.#pending.keys()]) this.fail(id, error)
  }

  #take(id: string): Pending | undefined {
    const pending = this.#pending.get(id)
    if (pending === undefined) return undefined
    this.#pending.delete(id)
    if (pending.timer !== undefined) this.#clock.clear(pending.timer)
    return pending
  }
}

/** The reply's `error`, with a code and message even when the server sent less. */
function errorBodyOf(error: unknown): ErrorBody {
  const body = (typeof error === 'object' && error !== null ? error : {}) as Partial<ErrorBody>
  return {
    code: typeof body.code === 'string' ? body.code : 'ERR_UNKNOWN',
    message: typeof body.message === 'string' ? body.message : 'Request failed',
    details: body.details,
    issues: body.issues,
  }
}
