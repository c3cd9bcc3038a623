/** universalApi()'s options: seed 002's WebSocket names, roomcast's own server options, all checked at once. */
import { ErrorCode, RoomcastError } from '../../errors.js'
import {
  assertKnownKeys,
  keySet,
  nearMiss,
  resolveOptions,
  SEED_NAMES,
  type WebSocketOptions,
} from '../../options/index.js'
import { assertRouteDefinition, type RouteDefinition } from '../../routes/index.js'

/** Options of `universalApi()`: seed 002's WebSocket options, under their names. */
export interface UniversalApiOptions {
  /**
   * Prefix of every `wsHandlers` pattern: `'/api'` serves `/ws/chat` at
   * `/api/ws/chat`. Several prefixes serve each pattern under each; `''` none.
   * @default '/api'
   */
  endpointPrefix?: string | string[]
  /**
   * `false` turns the plugin off. Seed 002 defaults to `false` because it
   * also serves REST; here WebSocket is all there is.
   * @default true
   */
  enableWs?: boolean
  /**
   * Route objects (`wss.route()`'s), or paths of modules whose default export
   * is an array of them, relative to Vite's `root`. In the dev server a
   * module is reloaded when it or a module it imports changes: its routes are
   * replaced and their connections closed with 1012 (Service Restart).
   */
  wsHandlers?: string | ReadonlyArray<RouteDefinition | string>
  /**
   * Options of the roomcast server (`createWebSocket()`'s). Its paths are the
   * `wsHandlers` patterns, so `path` is not taken; `ignoreProtocols` adds to
   * Vite's `vite-hmr` and `vite-ping`.
   */
  roomcast?: Omit<WebSocketOptions, 'path'>
}

/** The options as the plugin uses them. */
export interface ResolvedUniversalApi {
  enabled: boolean
  prefixes: string[]
  inline: RouteDefinition[]
  /** Module paths as given, to resolve against Vite's `root`. */
  modules: string[]
  server: WebSocketOptions
}

const KEYS = keySet<UniversalApiOptions>({
  endpointPrefix: true,
  enableWs: true,
  wsHandlers: true,
  roomcast: true,
})

/** Vite's own WebSocket subprotocols: HMR and the client's reconnect probe. */
const VITE_PROTOCOLS = ['vite-hmr', 'vite-ping']

const invalid = (message: string) =>
  new RoomcastError(ErrorCode.InvalidOption, `universalApi: ${message}`)

/**
 * Checks every option before Vite starts, the roomcast server's too.
 * @throws {RoomcastError} `ERR_INVALID_OPTION`, naming the option and what to use instead.
 */
export function resolveUniversalApi(options: UniversalApiOptions): ResolvedUniversalApi {
  if (typeof options !== 'object' || options === null) {
    throw invalid(
      'options must be an object: { endpointPrefix?, enableWs?, wsHandlers?, roomcast? }',
    )
  }
  assertPluginKeys(options)
  const { enableWs = true, roomcast = {} } = options
  if (typeof enableWs !== 'boolean') throw invalid('enableWs must be a boolean')
  if (typeof roomcast !== 'object' || roomcast === null) {
    throw invalid("roomcast must be an object of createWebSocket()'s options")
  }
  if ('path' in roomcast) {
    throw invalid(
      'roomcast.path is not taken: the paths roomcast serves are the wsHandlers patterns, under endpointPrefix',
    )
  }
  const server: WebSocketOptions = {
    ...roomcast,
    path: [],
    // One string or a list, as createWebSocket() takes it; its checks see every item.
    ignoreProtocols: [...VITE_PROTOCOLS, ...[roomcast.ignoreProtocols ?? []].flat()],
  }
  resolveOptions(server)
  const sources = typeof options.wsHandlers === 'string' ? [options.wsHandlers] : options.wsHandlers
  if (sources !== undefined && !Array.isArray(sources)) {
    throw invalid('wsHandlers must be an array of route objects or module paths, or one path')
  }
  const inline: RouteDefinition[] = []
  const modules: string[] = []
  for (const source of sources ?? []) {
    if (typeof source === 'string') modules.push(source)
    else {
      assertRouteDefinition(source)
      inline.push(source)
    }
  }
  return {
    enabled: enableWs,
    prefixes: resolvePrefixes(options.endpointPrefix),
    inline,
    modules,
    server,
  }
}

/** Unknown keys: seed 002's REST options and near misses by the table, roomcast's own to `roomcast`. */
function assertPluginKeys(options: object): void {
  const unknown = Object.keys(options).find((key) => !KEYS.has(key))
  if (unknown === undefined) return
  const seedName = SEED_NAMES.some((row) => row.in === 'universalApi' && row.name === unknown)
  if (!seedName && nearMiss(unknown, KEYS) === undefined) {
    throw invalid(
      `Unknown option "${unknown}": roomcast/vite takes endpointPrefix, enableWs, wsHandlers and roomcast (the server's options, as in roomcast: { ${unknown} })`,
    )
  }
  assertKnownKeys(options, KEYS, { object: 'universalApi', scope: 'universalApi' })
}

/** `'/api/'` → `'/api'`, `'/'` and `''` → no prefix; one per distinct value. */
function resolvePrefixes(value: string | string[] | undefined): string[] {
  const list = value === undefined ? ['/api'] : typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    throw invalid('endpointPrefix must be a string or a non-empty array of strings')
  }
  const prefixes = list.map((prefix) => {
    if (typeof prefix !== 'string') throw invalid('endpointPrefix must be a string or strings')
    if (prefix !== '' && !prefix.startsWith('/')) {
      throw invalid(`endpointPrefix "${prefix}" must start with "/"`)
    }
    return prefix.replace(/\/+$/, '')
  })
  return [...new Set(prefixes)]
}

/**
 * A handler's pattern under a prefix: `'/api'` and `'/ws/chat'` make
 * `'/api/ws/chat'`; `'*'` makes `'/api/*'`.
 * @throws {RoomcastError} `ERR_INVALID_ROUTE` for a pattern that does not start with "/".
 */
export function prefixed(prefix: string, pattern: string): string {
  if (pattern === '*') return `${prefix}/*`
  if (!pattern.startsWith('/')) {
    throw new RoomcastError(
      ErrorCode.InvalidRoute,
      `wsHandlers: pattern "${pattern}" must start with "/"`,
    )
  }
  return prefix + pattern
}
