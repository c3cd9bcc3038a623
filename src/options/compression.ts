/** permessage-deflate parameters and the compression strategy (seed 003), server or route. */
import { invalid } from './checks.js'
import { assertKnownKeys, keySet } from './known-keys.js'

/**
 * How broadcasts are compressed (seed 003): `'shared'` deflates a message once
 * for every connection with the same window (the server gives up context
 * takeover), `'dedicated'` compresses per connection with context takeover,
 * `'disabled'` negotiates no compression.
 */
export type Compression = 'shared' | 'dedicated' | 'disabled'

/** permessage-deflate parameters (RFC 7692), passed through to `ws`. */
export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean
  clientNoContextTakeover?: boolean
  serverMaxWindowBits?: number
  clientMaxWindowBits?: number
  /** Messages smaller than this many bytes are sent uncompressed. @default 1024 */
  threshold?: number
  /**
   * Refuse (HTTP 400, before the upgrade) a client whose permessage-deflate
   * offer cannot match these parameters, or that offers none, instead of
   * connecting it uncompressed (seed 002). @default false
   */
  strict?: boolean
}

const DEFLATE_KEYS = keySet<PerMessageDeflateOptions>({
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  serverMaxWindowBits: true,
  clientMaxWindowBits: true,
  threshold: true,
  strict: true,
})

export interface ResolvedCompression {
  perMessageDeflate: boolean | PerMessageDeflateOptions
  compression: Compression
  /** Messages shorter than this many bytes are not compressed. */
  deflateThreshold: number
}

function resolveDeflate(value: boolean | PerMessageDeflateOptions | undefined, scope?: string) {
  if (value === undefined || typeof value === 'boolean') return value ?? false
  if (typeof value !== 'object' || value === null) {
    throw invalid('perMessageDeflate', 'a boolean or an object', value)
  }
  assertKnownKeys(value, DEFLATE_KEYS, {
    object: 'perMessageDeflate',
    path: 'perMessageDeflate.',
    ...(scope === undefined ? {} : { scope }),
  })
  for (const flag of ['serverNoContextTakeover', 'clientNoContextTakeover', 'strict'] as const) {
    const v = value[flag]
    if (v !== undefined && typeof v !== 'boolean') {
      throw invalid(`perMessageDeflate.${flag}`, 'true or false', v)
    }
  }
  for (const bits of ['serverMaxWindowBits', 'clientMaxWindowBits'] as const) {
    const v = value[bits]
    if (v !== undefined && (!Number.isInteger(v) || v < 8 || v > 15)) {
      throw invalid(`perMessageDeflate.${bits}`, 'an integer from 8 to 15', v)
    }
  }
  const threshold = value.threshold
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 0)) {
    throw invalid('perMessageDeflate.threshold', 'a non-negative integer', threshold)
  }
  return { ...value }
}

/** ws's default: messages under 1 KiB are not worth compressing. */
const DEFAULT_DEFLATE_THRESHOLD = 1024

/**
 * Compression settings from `perMessageDeflate` and `compression` (server or
 * route; `scope` names the route in errors).
 */
export function resolveCompression(
  options: {
    perMessageDeflate?: boolean | PerMessageDeflateOptions | undefined
    compression?: Compression | undefined
  },
  scope?: string,
): ResolvedCompression {
  const deflate = resolveDeflate(options.perMessageDeflate, scope)
  const requested = options.compression
  if (requested !== undefined && !['shared', 'dedicated', 'disabled'].includes(requested)) {
    throw invalid('compression', "'shared', 'dedicated' or 'disabled'", requested)
  }
  const params = typeof deflate === 'object' ? deflate : {}
  const deflateThreshold = params.threshold ?? DEFAULT_DEFLATE_THRESHOLD
  if (requested === 'disabled' || (requested === undefined && deflate === false)) {
    if (deflate !== false)
      throw invalid('compression', 'not "disabled" while perMessageDeflate is on', requested)
    return { perMessageDeflate: false, compression: 'disabled', deflateThreshold }
  }
  const compression =
    requested ?? (params.serverNoContextTakeover === false ? 'dedicated' : 'shared')
  if (compression === 'dedicated')
    return { perMessageDeflate: deflate || true, compression, deflateThreshold }
  if (params.serverNoContextTakeover === false) {
    throw invalid(
      'compression',
      "not 'shared' with perMessageDeflate.serverNoContextTakeover: false",
      requested,
    )
  }
  // One deflated frame fits every connection only if no connection's stream refers back to
  // earlier messages: the server must not take its context over (RFC 7692 §7.1.1.1).
  return {
    perMessageDeflate: { ...params, serverNoContextTakeover: true },
    compression,
    deflateThreshold,
  }
}
