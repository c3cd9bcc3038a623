/**
 * The seeds' option names and their roomcast forms, as data: one table drives
 * both the unknown-option errors and the README's "Coming from" sections
 * (rendered by scripts/seed-names.ts).
 */

/** The options objects roomcast accepts, by the function or place that takes them. */
export type OptionsObject =
  | 'createWebSocket'
  | 'route'
  | 'perMessageDeflate'
  | 'rateLimit'
  | 'disconnectInactiveClients'
  | 'systemController'
  | 'createRedisAdapter'
  | 'ClusterAdapter'
  | 'createEmitter'
  | 'createRedisTransport'
  | 'withWebSocket'
  | 'defineSubscriber'
  | 'behaviour'
  | 'controllers'
  | 'subscriberMiddleware'
  | 'responseRule'
  | 'withRetry'
  | 'withRateLimit'
  | 'WebSocketService'
  | 'broadcast'
  | 'identity'
  | 'history'
  | 'recovery'
  | 'offlineQueue'
  | 'join'
  | 'historyQuery'
  | 'jwt'
  | 'auth'
  | 'revoke'
  | 'WebSocketPlugin'
  | 'universalApi'
  | 'registerMetrics'
  | 'shutdown'
  | 'closeOnSignals'
  | 'adminHandler'

/** The seed systems other than seed 000 (whose names are roomcast's own). */
export const SEED_SYSTEMS = {
  '001': { name: 'NextRush v2', what: '`WebSocketPlugin` options' },
  '002': { name: 'vite-plugin-universal-api', what: 'plugin options and `wsHandlers` entries' },
  '003': { name: 'verb', what: '`withOptions()` options and `websocket` object' },
  '004': { name: 'PXL', what: '`webSocket` configuration' },
} as const

export type SeedSystem = keyof typeof SEED_SYSTEMS

/** One name a seed's users pass, and what it is in roomcast. */
export interface SeedName {
  seed: SeedSystem
  /** The seed's key. */
  name: string
  /** The roomcast options object the seed's users would pass it in. */
  in: OptionsObject
  /** The roomcast option with this meaning (the same name when roomcast kept it). */
  use?: string
  /** What to do instead when no option has this meaning (markdown: code in backticks). */
  instead?: string
  /** What differs, shown in the README and in the error (markdown). */
  note?: string
}

const handlers = '`wss.on(path, { open, message, close, drain, ping, pong, error })`'
const restMocks =
  'roomcast/vite serves WebSocket handlers only; serve REST mocks from a Vite middleware (`server.middlewares.use()` in `configureServer`), or keep vite-plugin-universal-api for them with `enableWs: false`'

/** Every seed option name roomcast knows of, by seed. */
export const SEED_NAMES: readonly SeedName[] = [
  {
    seed: '001',
    name: 'path',
    in: 'createWebSocket',
    use: 'path',
    note: "default `['/']`, NextRush v2's `'/ws'`",
  },
  { seed: '001', name: 'heartbeatMs', in: 'createWebSocket', use: 'heartbeatInterval' },
  {
    seed: '001',
    name: 'pongTimeoutMs',
    in: 'createWebSocket',
    use: 'clientTimeout',
    note: 'must exceed `heartbeatInterval`',
  },
  {
    seed: '001',
    name: 'maxConnections',
    in: 'createWebSocket',
    use: 'maxConnections',
    note: '`0` (the default) is unlimited; `Infinity` is refused',
  },
  { seed: '001', name: 'maxMessageSize', in: 'createWebSocket', use: 'maxPayload' },
  { seed: '001', name: 'allowOrigins', in: 'createWebSocket', use: 'allowedOrigins' },
  { seed: '001', name: 'verifyClient', in: 'createWebSocket', use: 'verifyClient' },
  {
    seed: '001',
    name: 'debug',
    in: 'createWebSocket',
    use: 'debug',
    note: 'logs handshakes, refusals with their reason, joins, leaves and closes through `logger`',
  },

  {
    seed: '002',
    name: 'wsHandlers',
    in: 'createWebSocket',
    instead: 'call `wss.route(handler)` for each handler',
  },
  {
    seed: '002',
    name: 'endpointPrefix',
    in: 'createWebSocket',
    instead: "include the prefix in each route's `pattern` (and in `path`)",
  },
  {
    seed: '002',
    name: 'enableWs',
    in: 'createWebSocket',
    instead: 'not needed: `createWebSocket()` is the WebSocket server',
  },
  {
    seed: '002',
    name: 'heartbeat',
    in: 'createWebSocket',
    use: 'heartbeatInterval',
    note: "for the whole server; a route object's `heartbeat` works as in the plugin",
  },
  ...(['pattern', 'onConnect', 'onMessage', 'onClose', 'onError', 'onPing', 'onPong'] as const).map(
    (name): SeedName => ({ seed: '002', name, in: 'route', use: name }),
  ),
  {
    seed: '002',
    name: 'transformRawData',
    in: 'route',
    use: 'transformRawData',
  },
  { seed: '002', name: 'defaultRoom', in: 'route', use: 'defaultRoom' },
  {
    seed: '002',
    name: 'authenticate',
    in: 'route',
    use: 'authenticate',
    note: 'may also return `{ userId, metadata }`',
  },
  {
    seed: '002',
    name: 'heartbeat',
    in: 'route',
    use: 'heartbeat',
    note: 'ms; terminated after 3 missed pongs',
  },
  { seed: '002', name: 'inactivityTimeout', in: 'route', use: 'inactivityTimeout' },
  { seed: '002', name: 'perMessageDeflate', in: 'route', use: 'perMessageDeflate' },
  { seed: '002', name: 'subprotocols', in: 'route', use: 'subprotocols' },
  { seed: '002', name: 'responses', in: 'route', use: 'responses' },
  ...(
    [
      'serverNoContextTakeover',
      'clientNoContextTakeover',
      'serverMaxWindowBits',
      'clientMaxWindowBits',
    ] as const
  ).map((name): SeedName => ({ seed: '002', name, in: 'perMessageDeflate', use: name })),
  {
    seed: '002',
    name: 'strict',
    in: 'perMessageDeflate',
    use: 'strict',
    note: 'a client whose offer cannot match the parameters gets HTTP 400',
  },
  {
    seed: '002',
    name: 'endpointPrefix',
    in: 'universalApi',
    use: 'endpointPrefix',
    note: "default `'/api'`, as in the plugin; `''` for none",
  },
  {
    seed: '002',
    name: 'enableWs',
    in: 'universalApi',
    use: 'enableWs',
    note: "default `true` (the plugin's is `false`: it serves REST too)",
  },
  {
    seed: '002',
    name: 'wsHandlers',
    in: 'universalApi',
    use: 'wsHandlers',
    note: 'route objects, or paths of modules exporting them by default, reloaded on change',
  },
  ...(
    [
      'handlers',
      'fsDir',
      'handlerMiddlewares',
      'errorMiddlewares',
      'parser',
      'pagination',
      'filters',
      'delay',
      'gatewayTimeout',
      'noHandledRestFsRequestsAction',
    ] as const
  ).map((name): SeedName => ({ seed: '002', name, in: 'universalApi', instead: restMocks })),
  { seed: '002', name: 'disable', in: 'universalApi', instead: 'use `enableWs: false`' },
  {
    seed: '002',
    name: 'enablePreview',
    in: 'universalApi',
    instead: 'not needed: `vite preview` serves `wsHandlers` too',
  },
  {
    seed: '002',
    name: 'logLevel',
    in: 'universalApi',
    instead:
      "set Vite's `logLevel`: roomcast logs through Vite's logger (or give `roomcast: { logger }`)",
  },

  {
    seed: '003',
    name: 'websocket',
    in: 'createWebSocket',
    instead: `put the handlers in ${handlers} and the options at the top level`,
  },
  ...(['open', 'message', 'close', 'drain', 'ping', 'pong', 'error'] as const).map(
    (name): SeedName => ({
      seed: '003',
      name,
      in: 'createWebSocket',
      instead: `put it in a behaviour object: ${handlers}`,
    }),
  ),
  {
    seed: '003',
    name: 'port',
    in: 'createWebSocket',
    instead: 'use `wss.listen(port)`, or `withWebSocket(app, wss, port)` with an HTTP app',
  },
  {
    seed: '003',
    name: 'idleTimeout',
    in: 'createWebSocket',
    use: 'inactivityTimeout',
    note: "milliseconds: verb's `idleTimeout` counts seconds",
  },
  { seed: '003', name: 'maxPayloadLength', in: 'createWebSocket', use: 'maxPayload' },
  {
    seed: '003',
    name: 'closeOnBackpressureLimit',
    in: 'createWebSocket',
    instead:
      "use `backpressurePolicy: 'close'` (close code 1013); `false` is the default, `'drop'`",
  },
  {
    seed: '003',
    name: 'maxCompressedSize',
    in: 'createWebSocket',
    instead: 'use `maxPayload`: it limits the decompressed message, which bounds a compressed one',
  },
  { seed: '003', name: 'maxBackpressure', in: 'createWebSocket', use: 'maxBackpressure' },
  { seed: '003', name: 'compression', in: 'createWebSocket', use: 'compression' },
  {
    seed: '003',
    name: 'maxLifetime',
    in: 'createWebSocket',
    use: 'maxLifetime',
    note: 'milliseconds; `0` is never',
  },

  {
    seed: '004',
    name: 'auth',
    in: 'createWebSocket',
    use: 'auth',
    note: '`{ jwtSecretKey }` as written (HS256, `?token=`, checked when given), or `jwt({ … })`',
  },
  {
    seed: '004',
    name: 'events',
    in: 'createWebSocket',
    instead: "use `onConnection`, `onClose`, `onError`, and `wss.on('error', …)` for server errors",
    note: "`onMessage` is `conn.on('message')`",
  },
  {
    seed: '004',
    name: 'rooms',
    in: 'createWebSocket',
    instead: 'use `systemController({ clientCanJoinMultipleRooms })` in `wss.controllers()`',
  },
  { seed: '004', name: 'routes', in: 'createWebSocket', instead: 'use `wss.controllers(routes)`' },
  {
    seed: '004',
    name: 'controllersDirectory',
    in: 'createWebSocket',
    instead: 'import the controllers and pass them to `wss.controllers()`',
  },
  {
    seed: '004',
    name: 'subscriberHandlers',
    in: 'createWebSocket',
    instead: 'use `wss.subscribe()` for each handler',
  },
  {
    seed: '004',
    name: 'disconnectInactiveClients',
    in: 'createWebSocket',
    use: 'disconnectInactiveClients',
    note: 'or `inactivityTimeout`',
  },
  {
    seed: '004',
    name: 'debug',
    in: 'createWebSocket',
    use: 'debug',
    note: 'a boolean; `{ printRoutes }` has no counterpart',
  },
  {
    seed: '004',
    name: 'redis',
    in: 'createWebSocket',
    instead: 'use `adapter: await createRedisAdapter({ redis })` from `roomcast/redis`',
  },
  {
    seed: '004',
    name: 'redisInstance',
    in: 'createRedisAdapter',
    use: 'redis',
    note: 'a `redis://` URL or a connected node-redis client',
  },
  {
    seed: '004',
    name: 'redisInstance',
    in: 'WebSocketService',
    instead:
      'give the server a Redis adapter (`createRedisAdapter`): its broadcasts then reach every node',
  },
  {
    seed: '004',
    name: 'workerId',
    in: 'WebSocketService',
    instead: "leave it out: the server's adapter names the node (`wss.nodeId`)",
  },
  {
    seed: '004',
    name: 'workerId',
    in: 'createRedisAdapter',
    use: 'nodeId',
    note: "unique per node; by default the server's `wss.nodeId`",
  },
  {
    seed: '004',
    name: 'type',
    in: 'createWebSocket',
    instead: 'not an option: a `createWebSocket()` server is always the server side',
  },
  {
    seed: '004',
    name: 'url',
    in: 'createWebSocket',
    instead:
      "not an option: the path goes in `wss.on(path, …)` or `path`, the port to the HTTP server's `listen()`",
  },
  {
    seed: '004',
    name: 'host',
    in: 'createWebSocket',
    instead: "not an option: give the host to the HTTP server's `listen()`",
  },
  {
    seed: '004',
    name: 'enabled',
    in: 'createWebSocket',
    instead: 'not needed: creating the server turns it on',
  },
]

/**
 * The row for a key `object` does not know: one passed in that object, else
 * one from any object whose roomcast option `object` has (verb's `idleTimeout`
 * in a route object is still `inactivityTimeout`).
 */
export function seedNameFor(
  object: OptionsObject,
  key: string,
  known: ReadonlySet<string>,
): SeedName | undefined {
  let elsewhere: SeedName | undefined
  for (const row of SEED_NAMES) {
    if (row.name !== key || row.use === key) continue
    if (row.in === object) return row
    if (row.use !== undefined && known.has(row.use)) elsewhere ??= row
  }
  return elsewhere
}
