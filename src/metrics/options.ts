/** `registerMetrics()` options: their types, defaults and the one check before anything is registered. */
import { type Registry, type RegistryContentType, register } from 'prom-client'
import { assertKnownKeys, invalid, keySet } from '../options/index.js'

/** A prom-client registry, Prometheus or OpenMetrics format. */
export type MetricsRegistry = Registry<RegistryContentType>

export interface MetricsOptions {
  /** Where the metrics are registered. @default prom-client's global `register` */
  registry?: MetricsRegistry
  /** Written before every metric name. @default 'roomcast_' */
  prefix?: string
  /**
   * Labels every series carries, such as `{ server: 'public' }`. `route`,
   * `status`, `outcome` and `le` are roomcast's own. @default none
   */
  labels?: Readonly<Record<string, string>>
  /**
   * Upper bounds of the broadcast duration histogram, in seconds (its unit),
   * increasing. @default 10 µs to 250 ms, see {@link DEFAULT_BROADCAST_BUCKETS}
   */
  broadcastBuckets?: readonly number[]
}

/** Broadcasts take microseconds to milliseconds: prom-client's default buckets start at 5 ms. */
export const DEFAULT_BROADCAST_BUCKETS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
  0.25,
]

export interface ResolvedMetricsOptions {
  registry: MetricsRegistry
  prefix: string
  labels: Readonly<Record<string, string>>
  broadcastBuckets: number[]
}

const KEYS = keySet<MetricsOptions>({
  registry: true,
  prefix: true,
  labels: true,
  broadcastBuckets: true,
})

/** Labels roomcast's own series use, and the histogram's bucket label. */
export const OWN_LABELS: ReadonlySet<string> = new Set(['route', 'status', 'outcome', 'le'])

/** Prometheus's data model: metric names may hold colons, label names may not. */
const PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option. */
export function resolveMetricsOptions(options: MetricsOptions = {}): ResolvedMetricsOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('registerMetrics options', 'an object', options)
  }
  assertKnownKeys(options, KEYS, { object: 'registerMetrics', scope: 'registerMetrics' })
  const registry = options.registry ?? register
  if (!isRegistry(registry)) throw invalid('registry', 'a prom-client Registry', registry)
  const prefix = options.prefix ?? 'roomcast_'
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw invalid('prefix', 'a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)', prefix)
  }
  return {
    registry,
    prefix,
    labels: resolveLabels(options.labels),
    broadcastBuckets: resolveBuckets(options.broadcastBuckets),
  }
}

/** Duck-typed: a second copy of prom-client in node_modules makes `instanceof` lie. */
export function isRegistry(value: unknown): value is MetricsRegistry {
  if (typeof value !== 'object' || value === null) return false
  const registry = value as Partial<Record<keyof MetricsRegistry, unknown>>
  return (
    typeof registry.metrics === 'function' &&
    typeof registry.registerMetric === 'function' &&
    typeof registry.getSingleMetric === 'function' &&
    typeof registry.removeSingleMetric === 'function'
  )
}

function resolveLabels(labels: unknown): Readonly<Record<string, string>> {
  if (labels === undefined) return {}
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw invalid('labels', 'an object of label names to strings', labels)
  }
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw invalid(`labels.${name}`, 'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)', name)
    }
    if (OWN_LABELS.has(name)) {
      throw invalid(`labels.${name}`, `a name other than ${[...OWN_LABELS].join(', ')}`, name)
    }
    if (typeof value !== 'string') throw invalid(`labels.${name}`, 'a string', value)
  }
  return { ...(labels as Record<string, string>) }
}

function resolveBuckets(buckets: unknown): number[] {
  if (buckets === undefined) return [...DEFAULT_BROADCAST_BUCKETS]
  const increasing =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every(
      (bound, i) =>
        typeof bound === 'number' &&
        Number.isFinite(bound) &&
        bound > 0 &&
        (i === 0 || bound > (buckets[i - 1] as number)),
    )
  if (!increasing) {
    throw invalid('broadcastBuckets', 'increasing positive numbers of seconds', buckets)
  }
  return [...(buckets as number[])]
}
