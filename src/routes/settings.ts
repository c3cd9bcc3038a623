/** Per-route settings: what a route object changes from the server's options, resolved once. */
import { resolveAuth } from '../auth/index.js'
import type { ConnectionSettings } from '../connection/index.js'
import type { ResolvedOptions } from '../options/index.js'
import {
  count,
  duration,
  type PerMessageDeflateOptions,
  resolveCompression,
  resolveRateLimit,
} from '../options/index.js'
import type { LivenessPolicy } from '../server/index.js'
import type { RouteDefinition } from './route-object.js'

/** What a ws server is created with; a route that changes any of it gets its own ws server. */
export interface WsConfig {
  maxPayload: number
  maxFragments: number
  perMessageDeflate: boolean | PerMessageDeflateOptions
  subprotocols: string[]
  /** `false` when the application answers pings itself (a route's `onPing`). */
  autoPong: boolean
}

/** Seed 002: a route's heartbeat terminates after this many consecutive missed pongs. */
const MISSED_PONG_LIMIT = 3

export function serverSettings(options: ResolvedOptions): {
  settings: ConnectionSettings
  ws: WsConfig
} {
  const interval = options.heartbeatInterval
  return {
    settings: {
      compression: options.compression,
      deflateThreshold: options.deflateThreshold,
      liveness: {
        pingInterval: interval,
        clientTimeout: interval > 0 ? options.clientTimeout : 0,
        missedPongLimit: MISSED_PONG_LIMIT,
        inactivityTimeout: options.inactivityTimeout,
        maxLifetime: options.maxLifetime,
      },
      rateLimit: options.rateLimit,
      sendsValuesAsJson: false,
      auth: options.auth,
    },
    ws: {
      maxPayload: options.maxPayload,
      maxFragments: options.maxFragments,
      perMessageDeflate: options.perMessageDeflate,
      subprotocols: options.subprotocols,
      autoPong: true,
    },
  }
}

function subprotocolList(value: unknown, pattern: string): string[] {
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || p === '')) {
    throw new TypeError(`route ${pattern}: subprotocols must be an array of non-empty strings`)
  }
  return [...value]
}

/**
 * The settings of a route object: the server's, with the route's own options
 * over them. `ws` is `undefined` when the server's ws server fits the route.
 * @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the route's option.
 */
export function routeSettings(
  def: RouteDefinition<unknown>,
  server: { settings: ConnectionSettings; ws: WsConfig },
): { settings: ConnectionSettings; ws: WsConfig | undefined } {
  const name = (option: string) => `route ${def.pattern}: ${option}`
  const base = server.settings.liveness
  const liveness: LivenessPolicy = {
    ...(def.heartbeat === undefined
      ? base
      : {
          pingInterval: count(name('heartbeat'), def.heartbeat, duration),
          clientTimeout: 0,
          missedPongLimit: MISSED_PONG_LIMIT,
        }),
    inactivityTimeout:
      def.inactivityTimeout === undefined
        ? base.inactivityTimeout
        : count(name('inactivityTimeout'), def.inactivityTimeout, duration),
    maxLifetime:
      def.maxLifetime === undefined
        ? base.maxLifetime
        : count(name('maxLifetime'), def.maxLifetime, duration),
  }
  const compression =
    def.perMessageDeflate === undefined
      ? server.settings
      : resolveCompression({ perMessageDeflate: def.perMessageDeflate }, `route ${def.pattern}`)
  const settings: ConnectionSettings = {
    compression: compression.compression,
    deflateThreshold: compression.deflateThreshold,
    liveness,
    rateLimit:
      def.rateLimit === undefined
        ? server.settings.rateLimit
        : resolveRateLimit(def.rateLimit, `route ${def.pattern}`),
    sendsValuesAsJson: true,
    auth:
      def.auth === undefined
        ? server.settings.auth
        : resolveAuth(def.auth, `route ${def.pattern}: auth`),
  }
  const ownWs =
    def.maxPayload !== undefined ||
    def.perMessageDeflate !== undefined ||
    def.subprotocols !== undefined ||
    def.onPing !== undefined
  if (!ownWs) return { settings, ws: undefined }
  return {
    settings,
    ws: {
      maxPayload:
        def.maxPayload === undefined
          ? server.ws.maxPayload
          : count(name('maxPayload'), def.maxPayload),
      maxFragments: server.ws.maxFragments,
      perMessageDeflate:
        def.perMessageDeflate === undefined
          ? server.ws.perMessageDeflate
          : (compression as { perMessageDeflate: boolean | PerMessageDeflateOptions })
              .perMessageDeflate,
      subprotocols:
        def.subprotocols === undefined
          ? server.ws.subprotocols
          : subprotocolList(def.subprotocols, def.pattern),
      autoPong: def.onPing === undefined,
    },
  }
}
