/**
 * `roomcast/metrics`: Prometheus metrics on prom-client, read from the
 * server's own counters at scrape time. A separate entry point, so
 * `prom-client` stays an optional peer.
 */
export { FRAMEWORK_ROUTE } from './metrics/definitions.js'
export { type MetricsHandler, metricsHandler } from './metrics/handler.js'
export {
  DEFAULT_BROADCAST_BUCKETS,
  type MetricsOptions,
  type MetricsRegistry,
} from './metrics/options.js'
export { type MetricsRegistration, registerMetrics } from './metrics/register.js'
