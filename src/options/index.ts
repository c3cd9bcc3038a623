/** Option types, defaults and the one checker. */

export { count, duration, invalid } from './checks.js'
export { type PerMessageDeflateOptions, resolveCompression } from './compression.js'
export { resolveHistory } from './durability.js'
export type { HandshakeRateOptions, IpLimitOptions } from './ip-limits.js'
export { assertKnownKeys, type KeyContext, keySet, nearMiss } from './known-keys.js'
export { resolveRateLimit } from './limits.js'
export {
  type AuthResult,
  type BackpressurePolicy,
  type Compression,
  type DisconnectInactiveClientsOptions,
  type HistoryOptions,
  type HistoryRule,
  type OfflineQueueOptions,
  type OriginPattern,
  type RateLimitOptions,
  type RecoveringConnection,
  type RecoveryOptions,
  type ResolvedOptions,
  type ResolvedRateLimit,
  type ResolvedRecovery,
  type RoomSelector,
  resolveOptions,
  type SessionSnapshot,
  type WebSocketOptions,
} from './options.js'
export {
  type OptionsObject,
  SEED_NAMES,
  SEED_SYSTEMS,
  type SeedName,
  type SeedSystem,
} from './seed-names.js'
