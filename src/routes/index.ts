/** Path patterns, route objects and per-route settings. */

export { type Behaviour, behaviourHandler } from './behaviour.js'
export { type RouteMatch, RouteTable, splitPath } from './patterns.js'
export {
  assertRouteDefinition,
  type RouteConnection,
  type RouteDefinition,
  routeObjectHandler,
} from './route-object.js'
export { routeSettings, serverSettings, type WsConfig } from './settings.js'
