/** Cluster features over the adapter: subscribers for custom messages, cluster-wide queries. */

export { ClusterQueries, type ClusterReply, type ClusterTarget } from './queries.js'
export {
  composeHandlers,
  matchByProperty,
  matchByPropertyPredicate,
  type SubscriberLogger,
  withErrorHandler,
  withFilter,
  withLogging,
  withRateLimit,
  withRetry,
  withValidation,
} from './subscriber-helpers.js'
export {
  loggingMiddleware,
  rateLimitMiddleware,
  timingMiddleware,
} from './subscriber-middleware.js'
export {
  createSubscriberRegistry,
  type DispatchReport,
  type SubscriberFailure,
  type SubscriberRegistry,
  type SubscriberResult,
} from './subscriber-registry.js'
export {
  type ChannelPredicate,
  defineSubscriber,
  type NoExtra,
  type RegisteredSubscriber,
  type SubscriberContext,
  type SubscriberDefinition,
  type SubscriberHandler,
  type SubscriberMatcher,
  type SubscriberMiddleware,
  type SubscriberOptions,
} from './subscribers.js'
