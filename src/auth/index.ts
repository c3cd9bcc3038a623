/** Authentication for a connection's whole life: JWT at the handshake, expiry, refresh, revocation. */
export { DEADLINE_RESOLUTION } from './deadlines.js'
export {
  JwtAuth,
  type JwtOptions,
  jwt,
  resolveAuth,
  type SeedJwtAuth,
  TokenRefused,
  type TokenSource,
  type VerifiedToken,
} from './jwt.js'
export {
  DEFAULT_REVOCATION_TTL,
  ExpiredClose,
  RevokedClose,
  type TokenGrant,
  type TokenHolder,
  TokenLifetimes,
} from './lifetimes.js'
export { answerRefresh, readRefresh } from './refresh.js'
