/** roomcast/client: the reconnecting client for browsers and Node; it never imports ws or a Node built-in. */

export type { ActionSpec, Contract, SpecData, SpecReply } from '../message/contract.js'
export {
  createClient,
  RoomcastClient,
  type RoomListeners,
  type UntypedContract,
} from './client.js'
export { ClientError, ClientErrorCode, type ErrorBody, RequestError } from './errors.js'
export type {
  ClientEvents,
  ClientState,
  ClosedEvent,
  ConnectingEvent,
  MessageListener,
  MessageMeta,
  OpenEvent,
  ReconnectingEvent,
  RecoveredEvent,
} from './events.js'
export type {
  BufferOptions,
  ClientOptions,
  ReconnectOptions,
  RequestOptions,
  SendOptions,
} from './options.js'
export type { PushHandler, PushMessage } from './push-handlers.js'
export type {
  MessageData,
  SocketCloseEvent,
  SocketErrorEvent,
  SocketMessageEvent,
  WebSocketConstructor,
  WebSocketLike,
} from './socket.js'
export type { Timers } from './timers.js'
