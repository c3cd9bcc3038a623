/** The connection object, its listeners and send statuses. */

export { Connection } from './connection.js'
export type { ConnectionHost, ConnectionRoute, ConnectionSettings } from './host.js'
export { ListenerRegistry } from './listeners.js'
export { SendStatus } from './send-status.js'
export type { UpgradeRequest } from './upgrade-request.js'
