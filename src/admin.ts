/**
 * roomcast/admin: a live admin page for a roomcast server, protected by a
 * token or HTTP Basic: figures, nodes and their health, rooms and members,
 * disconnects and a test broadcast, cluster-wide.
 */

export type { NodeStatus } from './adapter/types.js'
export {
  ADMIN_CLOSE_CODE,
  ADMIN_CLOSE_REASON,
  ADMIN_REQUEST_HEADER,
  type AdminAuth,
  type AdminBasicAuth,
  type AdminConnection,
  type AdminFigures,
  type AdminHandler,
  type AdminMember,
  type AdminNode,
  type AdminOptions,
  type AdminOverview,
  type AdminRoom,
  type AdminTokenAuth,
  adminHandler,
  type BroadcastBody,
  type BroadcastResult,
  type DisconnectBody,
  type DisconnectResult,
  type NextFunction,
  type Rates,
} from './admin/index.js'
