/** Cluster features over the adapter: subscribers for custom messages, cluster-wide queries. */

export { ClusterQueries, type ClusterReply, type ClusterTarget } from './queries.js'
export {
  composeHandlers,
  loggingMiddleware,
  matchByProperty,
  matchByPropertyPredicate,
  rateLimitMiddleware,
  timingMiddleware,
  withErrorHandler,
  withFilter,
  withLogging,
  withRateLimit,
  withRetry,
  withValidation,
} from './subscriber-helpers.js'
export {
  createSubscriberRegistry,
  type DispatchReport,
  type SubscriberRegistry,
  type SubscriberResult,
} from './subscriber-registry.js'
export {
  type ChannelPredicate,
  defineSubscriber,
  type SubscriberContext,
  type SubscriberDefinition,
  type SubscriberHandler,
  type SubscriberMatcher,
  type SubscriberMiddleware,
  type SubscriberOptions,
} from './subscribers.js'
