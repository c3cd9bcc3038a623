/** The connection object, its listeners, rooms and send statuses. */

export { Connection } from './connection.js'
export type { ConnectionHost, ConnectionRoute, ConnectionSettings } from './host.js'
export { ListenerRegistry } from './listeners.js'
export { assertRoomName, MAX_ROOM_NAME_LENGTH, RoomIndex } from './rooms.js'
export { SendStatus } from './send-status.js'
