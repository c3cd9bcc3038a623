/** The adapter boundary: its types, the memory adapter, the cluster adapter and the in-process bus (the Redis transport is the roomcast/redis entry's). */

export { createInProcessBus, type InProcessBus } from './bus.js'
export { ClusterAdapter, type ClusterAdapterOptions } from './cluster.js'
export { createEmitter, type Emitter, EmitterOperator, type EmitterOptions } from './emitter.js'
export { AdapterError, AdapterErrorCode } from './errors.js'
export { MemoryAdapter } from './memory.js'
export type {
  ClusterStore,
  DurableStore,
  HistoryPage,
  HistoryQuery,
  KeptMessage,
  KeptRoom,
  QueuedMessage,
  QueueLimits,
} from './store.js'
export type { Transport, TransportStatus } from './transport.js'
export type {
  Adapter,
  AdapterHealth,
  AdapterHost,
  ClusterAnswers,
  ClusterQuery,
  ClusterResult,
  ConnectionInfo,
  NodeError,
  NodeStatus,
  PresenceEntry,
  PresenceEvent,
  WireTarget,
} from './types.js'
