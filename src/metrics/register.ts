/** registerMetrics(): roomcast's figures as prom-client metrics, read when the registry is scraped. */
import { Counter, Gauge, Histogram } from 'prom-client'
import { ErrorCode, RoomcastError } from '../errors.js'
import { RoomcastServer } from '../server/index.js'
import {
  BROADCAST_DURATION,
  BROADCAST_DURATION_HELP,
  METRICS,
  type MetricDefinition,
  type MetricSource,
} from './definitions.js'
import { type MetricsOptions, resolveMetricsOptions } from './options.js'

/** What `registerMetrics()` returns. */
export interface MetricsRegistration {
  /** The registered metric names, prefix included. */
  readonly names: readonly string[]
  /** Removes the metrics from the registry and stops timing broadcasts. Idempotent. */
  unregister(): void
}

type Labels = Readonly<Record<string, string>>
type Put = (labels: Labels, value: number) => void
/** prom-client's `reset()` leaves an unlabelled series at 0: a figure unknown must not read 0. */
type Remove = (labels: Labels) => void

/**
 * Registers `wss`'s metrics on a prom-client registry. Values are read from
 * the server's own counters when the registry is scraped; the one cost added
 * to the hot path is a clock read around each broadcast, for the duration
 * histogram. One registration per registry and prefix.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for an unknown or malformed
 * option, or when the registry already holds one of the names.
 * @example
 * import { registerMetrics, metricsHandler } from 'roomcast/metrics'
 * registerMetrics(wss)
 * app.get('/metrics', metricsHandler())
 */
export function registerMetrics(
  wss: RoomcastServer,
  options?: MetricsOptions,
): MetricsRegistration {
  if (!(wss instanceof RoomcastServer)) {
    throw new TypeError('registerMetrics(wss): wss must be a server made by createWebSocket()')
  }
  const { registry, prefix, labels, broadcastBuckets } = resolveMetricsOptions(options)
  const names = [
    ...METRICS.map((definition) => prefix + definition.name),
    prefix + BROADCAST_DURATION,
  ]
  // Checked before anything is registered: a clash leaves the registry as it was.
  const taken = names.find((name) => registry.getSingleMetric(name) !== undefined)
  if (taken !== undefined) {
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      `registerMetrics: "${taken}" is already registered on this registry: unregister() the earlier registration, or pass another prefix or registry`,
    )
  }
  const { instrumentation } = wss
  let deliveries = 0
  const source: MetricSource = {
    stats: () => wss.getStats(),
    health: () => wss.health(),
    connectionsByRoute: () => instrumentation.connectionsByRoute(),
    sessionResumes: () => instrumentation.sessionResumes,
    deliveries: () => deliveries,
  }
  const labelNames = Object.keys(labels)
  const histogram = new Histogram({
    name: prefix + BROADCAST_DURATION,
    help: BROADCAST_DURATION_HELP,
    labelNames,
    buckets: broadcastBuckets,
    registers: [],
  })
  // Without labels prom-client starts the series itself; with them it waits for a first value.
  if (labelNames.length > 0) histogram.zero(labels)
  const metrics = [
    ...METRICS.map((definition) => createMetric(definition, prefix, labels, source)),
    histogram,
  ]
  for (const metric of metrics) registry.registerMetric(metric)
  const stopTiming = instrumentation.observeBroadcasts(
    labelNames.length === 0
      ? (durationMs, reached) => {
          histogram.observe(durationMs / 1000)
          deliveries += reached
        }
      : (durationMs, reached) => {
          histogram.observe(labels, durationMs / 1000)
          deliveries += reached
        },
  )
  let registered = true
  return {
    names,
    unregister() {
      if (!registered) return
      registered = false
      stopTiming()
      metrics.forEach((metric, i) => {
        const name = names[i] as string
        // Only ours: the registry may have been cleared and the name reused since.
        if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name)
      })
    },
  }
}

function createMetric(
  definition: MetricDefinition,
  prefix: string,
  labels: Labels,
  source: MetricSource,
): Counter<string> | Gauge<string> {
  const { label } = definition
  const config = {
    name: prefix + definition.name,
    help: definition.help,
    labelNames: label === undefined ? Object.keys(labels) : [...Object.keys(labels), label],
    registers: [],
  }
  // Label values seen once stay, at 0 when absent: a route's series never turns into a gap.
  const seen = new Set<string>()
  const collect = (put: Put, remove: Remove) => {
    const reading = definition.read(source)
    if (typeof reading === 'number' || reading === undefined || label === undefined) {
      if (isValue(reading)) put(labels, reading)
      else remove(labels)
      return
    }
    const now = new Map(reading)
    for (const value of now.keys()) seen.add(value)
    for (const value of seen) {
      const count = now.get(value) ?? 0
      if (isValue(count)) put({ ...labels, [label]: value }, count)
    }
  }
  if (definition.type === 'counter') {
    // A counter set to the server's own total: reset, then one increment by that total.
    return new Counter({
      ...config,
      collect() {
        this.reset()
        collect(
          (l, v) => this.inc(l, v),
          (l) => this.remove(l),
        )
      },
    })
  }
  return new Gauge({
    ...config,
    collect() {
      this.reset()
      collect(
        (l, v) => this.set(l, v),
        (l) => this.remove(l),
      )
    },
  })
}

/** An adapter written before a figure existed leaves it undefined: no series rather than a lie. */
function isValue(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}
