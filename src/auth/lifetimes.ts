/**
 * Tokens for a connection's whole life: admitted at the handshake, closed at
 * expiry (4001) on the server's one sweep, replaced by in-band refreshes, and
 * revoked (4003) by user or token id, a revoked id refused until it expires.
 */
import type { IncomingMessage } from 'node:http'
import type { DurableStore } from '../adapter/index.js'
import { CloseCode } from '../close-codes.js'
import { toError } from '../errors.js'
import type { WSConnection } from '../types.js'
import { Deadlines } from './deadlines.js'
import { type JwtAuth, TokenRefused, type VerifiedToken } from './jwt.js'

export const ExpiredClose = { code: CloseCode.TokenExpired, reason: 'Token expired' } as const
export const RevokedClose = { code: CloseCode.Revoked, reason: 'Revoked' } as const

/** How long a revoked token id is refused when its expiry is not known. */
export const DEFAULT_REVOCATION_TTL = 24 * 60 * 60 * 1000

/**
 * How long a user's revocation is remembered, for handshakes and refreshes
 * that were being verified when it came: longer than any of them may take.
 */
const RACE_WINDOW = 5 * 60 * 1000

/** A connection's token and where the sweep keeps it. */
export interface TokenGrant {
  token: VerifiedToken
  readonly auth: JwtAuth
  /** Slots in the deadline wheels; -1 when not scheduled. */
  expirySlot: number
  warningSlot: number
  /** The `exp` last warned about: one warning per token lifetime, however often it is refreshed. */
  warnedExp: number | undefined
}

/** A connection as the lifetimes see it: with the token it holds. */
export interface TokenHolder extends WSConnection {
  grant: TokenGrant | undefined
}

/** What the lifetimes count (the server's statistics). */
export interface TokenCounters {
  tokensExpired: number
  tokensRefreshed: number
  tokenRefreshesRefused: number
  connectionsRevoked: number
}

export interface LifetimeDeps<C extends TokenHolder> {
  readonly counters: TokenCounters
  /** The adapter's store, read when a revoked id is checked (shared stores only). */
  store(): DurableStore | undefined
  /** This node's connections of a user, and all of them (to find a token id). */
  userConnections(userId: string): Iterable<C>
  connections(): Iterable<C>
  /** A hook threw or the store failed; never thrown. */
  failed(conn: C | undefined, error: Error): void
}

export class TokenLifetimes<C extends TokenHolder> {
  readonly #deps: LifetimeDeps<C>
  readonly #expiries = new Deadlines<C>()
  readonly #warnings = new Deadlines<C>()
  /** Revoked token ids and until when (ms since the epoch). */
  readonly #revoked = new Map<string, number>()
  /** Users revoked lately, and when: a token verified before that does not get in. */
  readonly #revokedUsers = new Map<string, number>()

  constructor(deps: LifetimeDeps<C>) {
    this.#deps = deps
  }

  /**
   * The handshake's token, verified: `undefined` when there is none and the
   * auth is optional.
   * @throws {TokenRefused} saying why (missing, invalid, revoked).
   */
  async admit(
    auth: JwtAuth,
    request: IncomingMessage,
    search: string,
  ): Promise<VerifiedToken | undefined> {
    const raw = auth.read(request, search)
    if (raw === undefined) {
      if (auth.optional) return undefined
      throw new TokenRefused('no token')
    }
    return this.#checked(auth, raw)
  }

  /**
   * Whether a token verified a moment ago still holds: no revocation of its
   * id, or of its user since it was verified, came in the meantime.
   */
  stillAdmitted(token: VerifiedToken): boolean {
    const until = token.jti === undefined ? undefined : this.#revoked.get(token.jti)
    if (until !== undefined && until > Date.now()) return false
    const revokedAt = this.#revokedUsers.get(token.userId)
    return revokedAt === undefined || revokedAt < token.checkedAt
  }

  /** The connection opened with `token`: its deadlines start. */
  opened(conn: C, auth: JwtAuth, token: VerifiedToken): void {
    const grant: TokenGrant = {
      token,
      auth,
      expirySlot: -1,
      warningSlot: -1,
      warnedExp: undefined,
    }
    conn.grant = grant
    this.#schedule(conn, grant, false)
  }

  closed(conn: C): void {
    const grant = conn.grant
    if (grant !== undefined) this.#unschedule(conn, grant)
  }

  /**
   * Replaces the connection's token with `raw` (the request's `data.token`), verified like the first and
   * with the same `sub`; the deadline moves. @returns the new `exp` (seconds).
   * @throws {TokenRefused} and the old token and deadline stand.
   */
  async refresh(conn: C, raw: unknown): Promise<number | undefined> {
    const counters = this.#deps.counters
    const grant = conn.grant
    try {
      if (typeof raw !== 'string' || raw === '') {
        throw new TokenRefused('data.token is not a non-empty string')
      }
      if (grant === undefined) throw new TokenRefused('the connection has no token to refresh')
      const token = await this.#checked(grant.auth, raw)
      if (token.userId !== grant.token.userId) {
        throw new TokenRefused(`sub ${JSON.stringify(token.userId)} is not the connection's`)
      }
      if (!this.stillAdmitted(token)) throw new TokenRefused('revoked while it was verified')
      const metadata = grant.auth.map?.(token.payload)
      counters.tokensRefreshed++
      if (!conn.isOpen || conn.grant !== grant) return token.exp
      this.#unschedule(conn, grant)
      grant.token = token
      // What map() derives follows the token, as conn.user does.
      if (metadata !== undefined) Object.assign(conn.metadata, metadata)
      this.#schedule(conn, grant, true)
      return token.exp
    } catch (error) {
      counters.tokenRefreshesRefused++
      throw error
    }
  }

  /** Closes what came due: expired tokens (4001), and warns those about to expire. */
  tick(now: number): void {
    for (const conn of this.#expiries.due(now)) {
      if (conn.grant !== undefined) conn.grant.expirySlot = -1
      if (!conn.isOpen) continue
      this.#deps.counters.tokensExpired++
      conn.close(ExpiredClose.code, ExpiredClose.reason)
    }
    for (const conn of this.#warnings.due(now)) {
      const grant = conn.grant
      if (grant === undefined || !conn.isOpen) continue
      grant.warningSlot = -1
      const exp = grant.token.exp ?? 0
      grant.warnedExp = exp
      const msLeft = Math.max(0, exp * 1000 - now)
      try {
        grant.auth.onExpiring?.(conn, msLeft)
      } catch (error) {
        this.#deps.failed(conn, toError(error))
      }
      conn.json({ type: 'system', action: 'expiring', data: { exp, msLeft } })
    }
  }

  /**
   * This node's part of a revocation: closes the user's connections and those
   * holding the token id with 4003, and refuses the id until `until`.
   * @returns how many it closed, and the latest expiry (ms; 0 for none) of the id here.
   */
  revoke(userId: string | undefined, jti: string | undefined, until: number): [number, number] {
    const closing = new Set<C>()
    let expiry = 0
    const now = Date.now()
    if (userId !== undefined) {
      for (const [user, at] of this.#revokedUsers) {
        if (at < now - RACE_WINDOW) this.#revokedUsers.delete(user)
      }
      this.#revokedUsers.set(userId, now)
      for (const conn of this.#deps.userConnections(userId)) closing.add(conn)
    }
    if (jti !== undefined) {
      this.#forgetExpired(now)
      this.#revoked.set(jti, Math.max(until, this.#revoked.get(jti) ?? 0))
      for (const conn of this.#deps.connections()) {
        const token = conn.grant?.token
        if (token?.jti !== jti) continue
        closing.add(conn)
        expiry = Math.max(expiry, (token.exp ?? 0) * 1000)
      }
    }
    let closed = 0
    for (const conn of closing) {
      if (!conn.isOpen) continue
      conn.close(RevokedClose.code, RevokedClose.reason)
      closed++
    }
    this.#deps.counters.connectionsRevoked += closed
    return [closed, expiry]
  }

  async #checked(auth: JwtAuth, raw: string): Promise<VerifiedToken> {
    const token = await auth.verify(raw)
    if (token.jti !== undefined && (await this.#isRevoked(token.jti))) {
      throw new TokenRefused(`token id ${JSON.stringify(token.jti)} is revoked`)
    }
    return token
  }

  async #isRevoked(jti: string): Promise<boolean> {
    const until = this.#revoked.get(jti)
    if (until !== undefined) {
      if (until > Date.now()) return true
      this.#revoked.delete(jti)
    }
    const store = this.#deps.store()
    if (store?.isRevoked === undefined) return false
    try {
      return await store.isRevoked(jti)
    } catch (error) {
      // What this node was told stands; the store's answer is for nodes that started later.
      this.#deps.failed(undefined, toError(error))
      return false
    }
  }

  #forgetExpired(now: number): void {
    for (const [jti, until] of this.#revoked) if (until <= now) this.#revoked.delete(jti)
  }

  /**
   * Arms the expiry and the warning. A refreshed token already inside the
   * warning window is not warned about again: the client has just refreshed.
   */
  #schedule(conn: C, grant: TokenGrant, refreshed: boolean): void {
    const exp = grant.token.exp
    if (exp === undefined) return
    grant.expirySlot = this.#expiries.add(conn, exp * 1000 + grant.auth.toleranceMs)
    const before = grant.auth.refreshBefore
    if (before === 0 || grant.warnedExp === exp) return
    const warnAt = exp * 1000 - before
    if (!refreshed || warnAt > Date.now()) grant.warningSlot = this.#warnings.add(conn, warnAt)
  }

  #unschedule(conn: C, grant: TokenGrant): void {
    if (grant.expirySlot !== -1) this.#expiries.remove(conn, grant.expirySlot)
    if (grant.warningSlot !== -1) this.#warnings.remove(conn, grant.warningSlot)
    grant.expirySlot = -1
    grant.warningSlot = -1
  }
}
