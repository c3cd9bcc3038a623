/** The cluster adapter's options, their defaults, and the checks made before anything starts. */
import { ErrorCode, RoomcastError } from '../errors.js'
import { assertKnownKeys, keySet } from '../options/index.js'
import type { Transport } from './transport.js'

export interface ClusterAdapterOptions {
  /** The message bus between nodes (Redis pub/sub, or the in-process bus in tests). */
  transport: Transport
  /**
   * Whether `close()` also closes `transport`. A transport passed in by the
   * application stays the application's.
   * @default false
   */
  ownsTransport?: boolean
  /** Namespaces every channel, so several clusters can share one bus. @default 'roomcast' */
  prefix?: string
  /** This node's id, unique in the cluster; keep it equal to the server's. @default host.nodeId */
  nodeId?: string
  /** How often this node tells the others it is alive, in ms. @default 5000 */
  heartbeatInterval?: number
  /** How long a silent node stays in the registry, in ms. @default 3 × heartbeatInterval */
  nodeTimeout?: number
  /** How long `request()` waits for the other nodes, in ms, unless told otherwise. @default 5000 */
  requestTimeout?: number
  /**
   * Publishes in flight at most. Past it the cross-node part of a broadcast is
   * dropped and counted (`health().publishesDropped`); local delivery goes on.
   * Bounds the heap while the bus does not answer: each pending PUBLISH of a
   * 1 KiB message holds about 3 KiB until Redis answers or is given up on.
   * @default 5000
   */
  maxPendingPublishes?: number
}

export interface ResolvedClusterOptions {
  transport: Transport
  ownsTransport: boolean
  prefix: string | undefined
  nodeId: string | undefined
  heartbeatInterval: number
  nodeTimeout: number
  requestTimeout: number
  maxPendingPublishes: number
}

export const clusterDefaults = {
  ownsTransport: false,
  heartbeatInterval: 5000,
  requestTimeout: 5000,
  maxPendingPublishes: 5000,
} satisfies Partial<ClusterAdapterOptions>

const CLUSTER_KEYS = keySet<ClusterAdapterOptions>({
  transport: true,
  ownsTransport: true,
  prefix: true,
  nodeId: true,
  heartbeatInterval: true,
  nodeTimeout: true,
  requestTimeout: true,
  maxPendingPublishes: true,
})

/** @throws {RoomcastError} `ERR_INVALID_OPTION` naming the first option that is wrong or unknown. */
export function resolveClusterOptions(options: ClusterAdapterOptions): ResolvedClusterOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('ClusterAdapter takes an options object with `transport`')
  }
  assertKnownKeys(options, CLUSTER_KEYS, { object: 'ClusterAdapter', scope: 'ClusterAdapter' })
  const { transport, prefix, nodeId } = options
  if (typeof transport?.publish !== 'function' || typeof transport.subscribe !== 'function') {
    throw invalid('`transport` must be a Transport (publish, subscribe, unsubscribe, …)')
  }
  if (nodeId !== undefined && (typeof nodeId !== 'string' || nodeId.length === 0)) {
    throw invalid('`nodeId` must be a non-empty string')
  }
  const heartbeatInterval = options.heartbeatInterval ?? clusterDefaults.heartbeatInterval
  positive('heartbeatInterval', heartbeatInterval)
  const nodeTimeout = options.nodeTimeout ?? 3 * heartbeatInterval
  positive('nodeTimeout', nodeTimeout)
  if (nodeTimeout <= heartbeatInterval) {
    throw invalid('`nodeTimeout` must be longer than `heartbeatInterval`')
  }
  const requestTimeout = options.requestTimeout ?? clusterDefaults.requestTimeout
  positive('requestTimeout', requestTimeout)
  const maxPendingPublishes = options.maxPendingPublishes ?? clusterDefaults.maxPendingPublishes
  if (!Number.isSafeInteger(maxPendingPublishes) || maxPendingPublishes < 1) {
    throw invalid('`maxPendingPublishes` must be a positive integer')
  }
  return {
    transport,
    ownsTransport: options.ownsTransport ?? clusterDefaults.ownsTransport,
    prefix,
    nodeId,
    heartbeatInterval,
    nodeTimeout,
    requestTimeout,
    maxPendingPublishes,
  }
}

/** @throws {RoomcastError} `ERR_INVALID_OPTION` unless `value` is a positive, finite number. */
function positive(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`\`${name}\` must be a positive number of milliseconds`)
  }
}

function invalid(message: string): RoomcastError {
  return new RoomcastError(ErrorCode.InvalidOption, message)
}
