/**
 * `jwt()`: JSON Web Token authentication on jose, checked at configuration
 * time, for the handshake and for in-band refreshes. Seed 004's
 * `{ jwtSecretKey }` is the same verifier with HS256, `?token=` and `optional`.
 */

import { type KeyObject, webcrypto } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  importJWK,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose'
import { count, invalid } from '../options/checks.js'
import { assertKnownKeys, keySet } from '../options/known-keys.js'
import type { WSConnection } from '../types.js'
import { checkAlgorithms, type JwsAlgorithm, publicKey, secretKey } from './keys.js'
import { type TokenSource, type TokenSources, tokenSources, withoutParams } from './token-source.js'

export type { JwsAlgorithm } from './keys.js'
export type { TokenSource } from './token-source.js'

/** Options of {@link jwt}: one of `secret`, `publicKey` or `jwks`. */
export interface JwtOptions {
  /** HMAC secret, at least as long as the hash (32 bytes for HS256, the default algorithm). */
  secret?: string | Uint8Array | KeyObject
  /** Public key as a PEM string (SPKI or certificate) or a `KeyObject`; its type implies the algorithm. */
  publicKey?: string | KeyObject
  /** A JSON Web Key Set: its URL (fetched and cached by jose) or the set itself. */
  jwks?: string | URL | JSONWebKeySet
  /**
   * Algorithms accepted; checked against the key when `jwt()` is called.
   * @default the one the key implies (HS256, RS256, PS256, ES256/384/512 by curve, EdDSA); ['RS256', 'ES256'] for `jwks`
   */
  algorithms?: JwsAlgorithm[]
  /** Required `iss`. */
  issuer?: string | string[]
  /** Required `aud` (one of them). */
  audience?: string | string[]
  /** Seconds of clock skew allowed on `exp` and `nbf`, and added to the expiry deadline. @default 0 */
  clockTolerance?: number
  /** Where the token is, tried in order. @default 'query:token' */
  tokenFrom?: TokenSource | TokenSource[]
  /** `true`: a handshake without a token is accepted as anonymous (a bad token is still 401). @default false */
  optional?: boolean
  /** Derives the start of `conn.metadata` from the verified payload. */
  map?: (payload: JWTPayload) => Record<string, unknown>
  /** Warn this long (ms) before expiry: `onExpiring` runs and the client gets `system.expiring`. 0 = never. @default 0 */
  refreshBefore?: number
  /** Runs `refreshBefore` ms before a connection's token expires (needs `refreshBefore`). */
  onExpiring?: (conn: WSConnection, msLeft: number) => void
}

/** Seed 004's `auth` option: HS256 with `?token=`, validated when one is given. */
export interface SeedJwtAuth {
  jwtSecretKey: string
}

/** A verified token, as the connection keeps it. */
export interface VerifiedToken {
  /** `sub`, as a string. */
  readonly userId: string
  readonly payload: JWTPayload
  /** `exp` in seconds since the epoch; `undefined` for a token that never expires. */
  readonly exp: number | undefined
  readonly jti: string | undefined
  /** When its verification began (ms since the epoch): a revocation after it still applies. */
  readonly checkedAt: number
}

/** Why a token was refused: for the logger and `debug`, never for the client. */
export class TokenRefused extends Error {
  override name = 'TokenRefused'
}

const JWT_KEYS = keySet<JwtOptions>({
  secret: true,
  publicKey: true,
  jwks: true,
  algorithms: true,
  issuer: true,
  audience: true,
  clockTolerance: true,
  tokenFrom: true,
  optional: true,
  map: true,
  refreshBefore: true,
  onExpiring: true,
})

/** Marks a verifier made by {@link jwt}, across copies of the package. */
const JWT_AUTH = Symbol.for('roomcast.jwtAuth')

/** A verifier made by {@link jwt}; pass it as `auth`. */
export class JwtAuth {
  /** @internal */ readonly [JWT_AUTH] = true
  /** @internal */ readonly optional: boolean
  /** @internal Milliseconds added to `exp` for the expiry deadline. */ readonly toleranceMs: number
  /** @internal */ readonly refreshBefore: number
  /** @internal */ readonly onExpiring: JwtOptions['onExpiring']
  /** @internal */ readonly map: JwtOptions['map']
  readonly #sources: TokenSources
  readonly #key: JWTVerifyGetKey
  readonly #verify: Parameters<typeof jwtVerify>[2]

  /** @internal Use {@link jwt}. */
  constructor(options: JwtOptions) {
    if (typeof options !== 'object' || options === null) {
      throw invalid('jwt', 'an options object { secret | publicKey | jwks, … }', options)
    }
    assertKnownKeys(options, JWT_KEYS, { object: 'jwt', scope: 'jwt()' })
    const keys = ['secret', 'publicKey', 'jwks'] as const
    const given = keys.filter((name) => options[name] !== undefined)
    if (given.length !== 1) {
      // `secret: process.env.JWT_SECRET` with the variable unset is the usual way to get here.
      const unset = keys.find((name) => name in options && options[name] === undefined)
      throw invalid(
        unset === undefined ? 'jwt' : `jwt.${unset}`,
        'exactly one of secret, publicKey or jwks',
        unset === undefined ? given.join(', ') || 'none' : undefined,
      )
    }
    let algorithms: string[]
    if (options.jwks !== undefined) {
      algorithms = checkAlgorithms(options.algorithms, 'jwks')
      this.#key = keyResolver(options.jwks)
    } else {
      const key =
        options.secret !== undefined
          ? secretKey(options.secret, 'jwt.secret')
          : publicKey(options.publicKey)
      algorithms = checkAlgorithms(options.algorithms, key)
      this.#key = importedOnce(key)
    }
    const tolerance = count('jwt.clockTolerance', options.clockTolerance, { max: 86_400 }, 0)
    this.#verify = {
      algorithms,
      clockTolerance: tolerance,
      ...(options.issuer === undefined ? {} : { issuer: claimList('issuer', options.issuer) }),
      ...(options.audience === undefined
        ? {}
        : { audience: claimList('audience', options.audience) }),
    }
    this.#sources = tokenSources(options.tokenFrom)
    this.toleranceMs = tolerance * 1000
    this.optional = flag('jwt.optional', options.optional)
    this.refreshBefore = count('jwt.refreshBefore', options.refreshBefore, {}, 0)
    this.onExpiring = hook('jwt.onExpiring', options.onExpiring)
    this.map = hook('jwt.map', options.map)
    if (this.onExpiring !== undefined && this.refreshBefore === 0) {
      throw invalid('jwt.onExpiring', 'refreshBefore (ms) to say when it runs', 'refreshBefore 0')
    }
  }

  /** @internal The token the handshake carries, if any. */
  read(request: IncomingMessage, search: string): string | undefined {
    return this.#sources.read(request, search)
  }

  /** @internal The query string without the token, for `conn.query`. */
  withoutToken(search: string): string {
    return withoutParams(search, this.#sources.queryParams)
  }

  /**
   * @internal Signature, algorithm, `exp`, `nbf`, `iss`, `aud`, and a `sub`.
   * @throws {TokenRefused} saying why.
   */
  async verify(token: string): Promise<VerifiedToken> {
    const checkedAt = Date.now()
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.#key, this.#verify))
    } catch (error) {
      const code = (error as { code?: unknown }).code
      throw new TokenRefused(
        `${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`,
      )
    }
    const sub = payload.sub as unknown
    // A number past 2^53 would round onto another user's id: only safe integers convert.
    const userId =
      typeof sub === 'string' && sub !== ''
        ? sub
        : Number.isSafeInteger(sub)
          ? String(sub)
          : undefined
    if (userId === undefined) throw new TokenRefused('the token has no string or integer sub')
    const jti = typeof payload.jti === 'string' && payload.jti !== '' ? payload.jti : undefined
    return { userId, payload, exp: payload.exp, jti, checkedAt }
  }
}

/**
 * JWT authentication for `auth` (server-wide or on a route object): the
 * token is verified during the handshake (any failure is a bare HTTP 401),
 * `sub` becomes `conn.userId`, and the connection is closed with 4001 when
 * the token expires unless the client refreshes it in band.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for a missing or unfit key, `none`, mixed algorithm families, or an unknown option.
 * @example
 * createWebSocket({ auth: jwt({ secret: process.env.JWT_SECRET, issuer: 'https://auth.example' }) })
 */
export function jwt(options: JwtOptions): JwtAuth {
  return new JwtAuth(options)
}

const SEED_KEYS = keySet<SeedJwtAuth>({ jwtSecretKey: true })

/**
 * The `auth` option: a {@link JwtAuth}, seed 004's `{ jwtSecretKey }`, or
 * `false` (a route without the server's auth).
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for anything else.
 */
export function resolveAuth(value: unknown, name: string): JwtAuth | undefined {
  if (value === undefined || value === false) return undefined
  if (isJwtAuth(value)) return value
  if (typeof value === 'object' && value !== null && 'jwtSecretKey' in value) {
    assertKnownKeys(value, SEED_KEYS, { object: 'auth', scope: name })
    const secret = (value as SeedJwtAuth).jwtSecretKey
    if (typeof secret !== 'string' || secret === '') {
      throw invalid(`${name}.jwtSecretKey`, 'a non-empty string', secret)
    }
    try {
      return jwt({ secret, optional: true })
    } catch (error) {
      // Name the option the seed's users wrote, not the jwt() form it became.
      if (error instanceof Error)
        error.message = error.message.replace('jwt.secret', `${name}.jwtSecretKey`)
      throw error
    }
  }
  throw invalid(name, "jwt({ … }) or seed 004's { jwtSecretKey }", typeof value)
}

function isJwtAuth(value: unknown): value is JwtAuth {
  return typeof value === 'object' && value !== null && JWT_AUTH in value
}

function keyResolver(jwks: unknown): JWTVerifyGetKey {
  if (typeof jwks === 'string' || jwks instanceof URL) {
    let url: URL
    try {
      url = new URL(jwks)
    } catch {
      throw invalid('jwt.jwks', 'an absolute URL', jwks)
    }
    return createRemoteJWKSet(url)
  }
  if (typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as JSONWebKeySet).keys)) {
    return createLocalJWKSet(jwks as JSONWebKeySet)
  }
  throw invalid('jwt.jwks', 'a URL or a JSON Web Key Set { keys: [...] }', typeof jwks)
}

const HMAC_HASH: Record<string, string> = {
  HS256: 'SHA-256',
  HS384: 'SHA-384',
  HS512: 'SHA-512',
}

/**
 * `key` as a Web Crypto key per algorithm, imported on first use: jose
 * converts a KeyObject again on every verify, which doubles its cost. jose
 * checks the header's `alg` against the allowlist before asking for the key.
 */
function importedOnce(key: KeyObject): JWTVerifyGetKey {
  const imported = new Map<string, Promise<webcrypto.CryptoKey>>()
  const load = (alg: string): Promise<webcrypto.CryptoKey> => {
    if (key.type === 'secret') {
      const hash = HMAC_HASH[alg] ?? 'SHA-256'
      const raw = key.export()
      return webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash }, false, ['verify'])
    }
    return importJWK(key.export({ format: 'jwk' }), alg) as Promise<webcrypto.CryptoKey>
  }
  return ({ alg = '' }) => {
    let cryptoKey = imported.get(alg)
    if (cryptoKey === undefined) {
      cryptoKey = load(alg)
      imported.set(alg, cryptoKey)
    }
    return cryptoKey
  }
}

function claimList(name: string, value: unknown): string | string[] {
  const ok = (item: unknown) => typeof item === 'string' && item !== ''
  if (ok(value) || (Array.isArray(value) && value.length > 0 && value.every(ok))) {
    return value as string | string[]
  }
  throw invalid(`jwt.${name}`, 'a non-empty string or array of them', value)
}

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value)
  return value
}

function hook<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalid(name, 'a function', value)
  return value
}
