/** Traffic and handshake counters for one server. */

/** A snapshot returned by `wss.getStats()`. */
export interface WebSocketStats {
  /** Open connections now. */
  connections: number
  /** Rooms with at least one member now. */
  rooms: number
  /** Connections accepted since the server was created. */
  connectionsTotal: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Messages skipped for a connection: over `maxBackpressure` (policy `'drop'`) or volatile. */
  messagesDropped: number
  /** Connections closed (1013) for passing `maxBackpressure` with policy `'close'`. */
  closedForBackpressure: number
  /** Client messages skipped or refused for passing a `rateLimit`. */
  messagesRateLimited: number
  /** Replies and responses not sent because their connection had closed meanwhile. */
  repliesDropped: number
  /** Connections closed (4001) because their token expired. */
  tokensExpired: number
  /** In-band token refreshes accepted, and refused. */
  tokensRefreshed: number
  tokenRefreshesRefused: number
  /** Connections closed (4003) on this node by `wss.revoke()`. */
  connectionsRevoked: number
  /** Handshakes refused before the upgrade, by HTTP status (e.g. `{ 401: 2, 404: 1 }`). */
  handshakesRejected: Record<number, number>
}

export class StatsCounter {
  connectionsTotal = 0
  messagesIn = 0
  messagesOut = 0
  bytesIn = 0
  bytesOut = 0
  messagesDropped = 0
  closedForBackpressure = 0
  messagesRateLimited = 0
  repliesDropped = 0
  tokensExpired = 0
  tokensRefreshed = 0
  tokenRefreshesRefused = 0
  connectionsRevoked = 0
  /**
   * Session resumes roomcast clients asked for (with `recovery`): restored, and
   * started fresh. Read by roomcast/metrics; not (yet) part of `getStats()`.
   */
  sessionsRecovered = 0
  sessionsNotRecovered = 0
  readonly #rejected = new Map<number, number>()

  rejected(status: number): void {
    this.#rejected.set(status, (this.#rejected.get(status) ?? 0) + 1)
  }

  resumed(recovered: boolean): void {
    if (recovered) this.sessionsRecovered++
    else this.sessionsNotRecovered++
  }

  snapshot(connections: number, rooms: number): WebSocketStats {
    return {
      connections,
      rooms,
      connectionsTotal: this.connectionsTotal,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      messagesDropped: this.messagesDropped,
      closedForBackpressure: this.closedForBackpressure,
      messagesRateLimited: this.messagesRateLimited,
      repliesDropped: this.repliesDropped,
      tokensExpired: this.tokensExpired,
      tokensRefreshed: this.tokensRefreshed,
      tokenRefreshesRefused: this.tokenRefreshesRefused,
      connectionsRevoked: this.connectionsRevoked,
      handshakesRejected: Object.fromEntries(this.#rejected),
    }
  }
}
