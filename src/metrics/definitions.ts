/** Every metric roomcast/metrics exports (without the prefix), and where its value is read at scrape time. */
import type { ServerHealth, WebSocketStats } from '../server/index.js'
import type { SessionResumes } from '../server/instrumentation.js'

/** What a scrape reads: the server's own counters, and what the metrics counted themselves. */
export interface MetricSource {
  stats(): WebSocketStats
  health(): ServerHealth
  connectionsByRoute(): Map<string | undefined, number>
  sessionResumes(): SessionResumes
  /** Local connections reached by broadcasts made on this server since registration. */
  deliveries(): number
}

/** One value, or one per value of the metric's label; `undefined` leaves the series out. */
export type Reading = number | undefined | ReadonlyArray<readonly [label: string, value: number]>

export interface MetricDefinition {
  readonly name: string
  readonly type: 'counter' | 'gauge'
  readonly help: string
  /** The label `read` gives values for, if any. */
  readonly label?: string
  read(source: MetricSource): Reading
}

/** The `route` of connections a framework's router accepted: roomcast never sees its pattern. */
export const FRAMEWORK_ROUTE = '(framework)'

export const BROADCAST_DURATION = 'broadcast_duration_seconds'
export const BROADCAST_DURATION_HELP =
  'Time from an encoded broadcast to every local connection having it queued (and the cluster publish handed to the bus).'

const counter = (name: string, help: string, read: MetricDefinition['read']): MetricDefinition => ({
  name,
  type: 'counter',
  help,
  read,
})
const gauge = (name: string, help: string, read: MetricDefinition['read']): MetricDefinition => ({
  name,
  type: 'gauge',
  help,
  read,
})

export const METRICS: readonly MetricDefinition[] = [
  {
    name: 'connections',
    type: 'gauge',
    help: 'Open connections, by route pattern.',
    label: 'route',
    read: (s) =>
      [...s.connectionsByRoute()].map(([pattern, n]) => [pattern ?? FRAMEWORK_ROUTE, n] as const),
  },
  gauge('rooms', 'Rooms with at least one member on this node.', (s) => s.stats().rooms),
  {
    name: 'handshakes_total',
    type: 'counter',
    help: 'WebSocket handshakes answered, by HTTP status: 101 accepted, any other refused before the upgrade.',
    label: 'status',
    read: (s) => {
      const { connectionsTotal, handshakesRejected } = s.stats()
      return [['101', connectionsTotal], ...Object.entries(handshakesRejected)]
    },
  },
  counter(
    'messages_received_total',
    'Messages received from clients.',
    (s) => s.stats().messagesIn,
  ),
  counter('messages_sent_total', 'Messages written to connections.', (s) => s.stats().messagesOut),
  counter('bytes_received_total', 'Payload bytes received from clients.', (s) => s.stats().bytesIn),
  counter('bytes_sent_total', 'Payload bytes written to connections.', (s) => s.stats().bytesOut),
  counter(
    'broadcast_deliveries_total',
    'Local connections reached by broadcasts made on this node.',
    (s) => s.deliveries(),
  ),
  counter(
    'messages_dropped_total',
    'Messages skipped for a connection: past maxBackpressure with policy drop, or volatile.',
    (s) => s.stats().messagesDropped,
  ),
  counter(
    'backpressure_closes_total',
    'Connections closed (1013) for passing maxBackpressure with policy close.',
    (s) => s.stats().closedForBackpressure,
  ),
  counter(
    'messages_rate_limited_total',
    'Client messages skipped or refused for passing a rateLimit.',
    (s) => s.stats().messagesRateLimited,
  ),
  counter(
    'replies_dropped_total',
    'Replies not sent because their connection had closed.',
    (s) => s.stats().repliesDropped,
  ),
  counter(
    'tokens_expired_total',
    'Connections closed (4001) because their token expired.',
    (s) => s.stats().tokensExpired,
  ),
  {
    name: 'token_refreshes_total',
    type: 'counter',
    help: 'In-band token refreshes, by outcome.',
    label: 'outcome',
    read: (s) => {
      const { tokensRefreshed, tokenRefreshesRefused } = s.stats()
      return [
        ['accepted', tokensRefreshed],
        ['refused', tokenRefreshesRefused],
      ]
    },
  },
  counter(
    'connections_revoked_total',
    'Connections closed (4003) on this node by wss.revoke().',
    (s) => s.stats().connectionsRevoked,
  ),
  {
    name: 'session_resumes_total',
    type: 'counter',
    help: 'Session resumes roomcast clients asked for, by outcome: recovered, or started fresh.',
    label: 'outcome',
    read: (s) => {
      const { recovered, notRecovered } = s.sessionResumes()
      return [
        ['recovered', recovered],
        ['fresh', notRecovered],
      ]
    },
  },
  gauge('adapter_up', '1 while the adapter is healthy, 0 while degraded.', (s) =>
    s.health().status === 'ok' ? 1 : 0,
  ),
  gauge(
    'cluster_nodes',
    'Live nodes the adapter knows, this one included.',
    (s) => s.health().nodes,
  ),
  counter(
    'adapter_publishes_total',
    'Publishes handed to the cluster bus.',
    (s) => s.health().publishes,
  ),
  counter(
    'adapter_publish_failures_total',
    'Publishes to the cluster bus that failed.',
    (s) => s.health().publishFailures,
  ),
  counter(
    'adapter_publishes_dropped_total',
    'Cross-node parts of broadcasts dropped because maxPendingPublishes were outstanding.',
    (s) => s.health().publishesDropped,
  ),
  gauge(
    'adapter_publishes_pending',
    'Publishes sent and not yet answered by the bus.',
    (s) => s.health().publishesPending,
  ),
  gauge('adapter_latency_seconds', "Round trip of the bus's last liveness probe.", (s) => {
    const { latency } = s.health()
    return latency === undefined ? undefined : latency / 1000
  }),
]
