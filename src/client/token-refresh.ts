/** Keeps an open connection's token fresh: `system.refresh` before its `exp` or on the server's warning. */
import { ClientError, ClientErrorCode } from './errors.js'
import { jwtExpiryMs } from './jwt-exp.js'
import type { PendingRequests } from './requests.js'
import type { Clock } from './timers.js'

/** A refresh goes this long before `exp`, or at 3/4 of the lifetime when that is later. */
const LEAD_MS = 30_000
/**
 * With this little left no refresh is scheduled and the server's 4001 close and the reconnect take
 * over. It ends the ever closer refreshes of a provider that keeps returning the same token, or of
 * a clock about a lifetime ahead of the server's; a 2 s token (`exp` in whole seconds) still refreshes.
 */
const MIN_LEFT_MS = 500
/** A failed refresh is retried only with more than this left. */
const RETRY_MIN_LEFT_MS = 1000

/** What the refresh needs from the client. */
export interface TokenRefreshHost {
  readonly clock: Clock
  readonly provider: () => string | Promise<string>
  /** The client's pending requests, where a refresh's request waits for its reply. */
  readonly requests: PendingRequests
  /** Sends `system.refresh` with `token` on the open connection, never buffered. */
  readonly refresh: (token: string) => { id: string; reply: Promise<unknown> }
  /** A refresh failed; the connection goes on with its current token. */
  readonly failed: (error: ClientError) => void
}

/** One refresh, from the provider's call to the reply; `id` once its request is sent. */
interface Flight {
  id?: string
}

/** The token side of one client: the provider's calls, the expiry and the refresh timer. */
export class TokenRefresh {
  readonly #host: TokenRefreshHost
  /** The refresh in flight; `stop()` drops it, and a refresh that finds another here is stale. */
  #flight: Flight | undefined
  #retried = false
  #expiresAt: number | undefined
  #timer: unknown

  constructor(host: TokenRefreshHost) {
    this.#host = host
  }

  /** Asks the provider for the next attempt's token; `start()` schedules from its `exp`. */
  async forAttempt(): Promise<string> {
    const token = await this.#provide()
    this.#expiresAt = jwtExpiryMs(token)
    return token
  }

  /** The connection opened with the last attempt's token. */
  start(): void {
    this.#scheduleAhead()
  }

  /** The connection ended: no refresh is scheduled, one in flight fails. Idempotent. */
  stop(): void {
    this.#cancel()
    const id = this.#flight?.id
    this.#flight = undefined
    if (id !== undefined) this.#host.requests.fail(id, connectionClosed())
  }

  /** A push (pushes come only while open): `system.expiring` refreshes now, unless one is in flight. */
  pushed(message: Record<string, unknown>): void {
    if (message.type !== 'system' || message.action !== 'expiring') return
    void this.#refresh()
  }

  async #refresh(): Promise<void> {
    // The timer and pushes are the only callers, and both stop with the connection.
    if (this.#flight !== undefined) return
    this.#cancel()
    const flight: Flight = {}
    this.#flight = flight
    try {
      const token = await this.#provide()
      if (this.#flight !== flight) throw connectionClosed()
      const { id, reply } = this.#host.refresh(token)
      flight.id = id
      await reply
      if (this.#flight !== flight) return
      this.#flight = undefined
      this.#expiresAt = jwtExpiryMs(token)
      this.#scheduleAhead()
    } catch (error) {
      if (this.#flight === flight) {
        this.#flight = undefined
        // Once per token, so a refresh that keeps failing does not loop.
        if (!this.#retried) {
          this.#retried = true
          this.#schedule(RETRY_MIN_LEFT_MS, (left) => left / 2)
        }
      }
      this.#host.failed(
        new ClientError(ClientErrorCode.Token, 'token refresh failed', { cause: error }),
      )
    }
  }

  /** The regular refresh of a new token, which earns a retry again. */
  #scheduleAhead(): void {
    this.#retried = false
    this.#schedule(MIN_LEFT_MS, (left) => Math.max(left - LEAD_MS, 0.75 * left))
  }

  /** Arms the timer `delayOf(ms left)` from now, if the expiry is known and more than `minLeft` away. */
  #schedule(minLeft: number, delayOf: (left: number) => number): void {
    if (this.#expiresAt === undefined) return
    const left = this.#expiresAt - this.#host.clock.now()
    if (left > minLeft) {
      this.#timer = this.#host.clock.set(() => void this.#refresh(), delayOf(left))
    }
  }

  #cancel(): void {
    if (this.#timer !== undefined) this.#host.clock.clear(this.#timer)
    this.#timer = undefined
  }

  async #provide(): Promise<string> {
    const token = await this.#host.provider()
    if (typeof token !== 'string') {
      throw new TypeError(`token() returned ${typeof token}, not a string`)
    }
    return token
  }
}

/** The cause of a refresh whose connection ended (or is ending) before its reply. */
function connectionClosed(): Error {
  return new Error('Connection closed')
}
