/** The connection object, its listeners, rooms and send statuses. */

export {
  Connection,
  type ConnectionHost,
  type ConnectionRoute,
  type ConnectionSettings,
} from './connection.js'
export { ListenerRegistry } from './listeners.js'
export { assertRoomName, MAX_ROOM_NAME_LENGTH, RoomIndex } from './rooms.js'
export { SendStatus } from './send-status.js'
