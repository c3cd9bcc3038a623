/** The admin page: its handler, options, API shapes and the close code of its disconnects. */

export {
  ADMIN_CLOSE_CODE,
  ADMIN_CLOSE_REASON,
  type BroadcastBody,
  type BroadcastResult,
  type DisconnectBody,
  type DisconnectResult,
} from './actions.js'
export { ADMIN_REQUEST_HEADER } from './csrf.js'
export { type AdminHandler, adminHandler, type NextFunction } from './handler.js'
export type { AdminAuth, AdminBasicAuth, AdminOptions, AdminTokenAuth } from './options.js'
export type {
  AdminConnection,
  AdminFigures,
  AdminMember,
  AdminNode,
  AdminOverview,
  AdminRoom,
} from './overview.js'
export type { Rates } from './rates.js'
