/** Option types, defaults and the one checker. */

export { count, duration } from './checks.js'
export { type PerMessageDeflateOptions, resolveCompression } from './compression.js'
export { resolveRateLimit } from './limits.js'
export {
  type AuthResult,
  type BackpressurePolicy,
  type Compression,
  type DisconnectInactiveClientsOptions,
  type OriginPattern,
  type RateLimitOptions,
  type ResolvedOptions,
  type ResolvedRateLimit,
  resolveOptions,
  type WebSocketOptions,
} from './options.js'
