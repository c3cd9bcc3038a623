/** Fan-out: payloads encoded and framed once, write batches, broadcast targets and forms. */

export {
  allClientsTarget,
  allRoomsBroadcast,
  type BroadcastToAllClientsOptions,
  type BroadcastToRoomOptions,
  type ConnectionBroadcastOptions,
  connectionBroadcast,
  isSendData,
  toAnyPayload,
  toUserIds,
} from './broadcast-forms.js'
export { BroadcastOperator, type Excluded } from './broadcast-operator.js'
export {
  CONTROL_MARK,
  type ControlHeader,
  controlFrame,
  type RoomPosition,
} from './envelope.js'
export { Payload, toJsonPayload, toPayload } from './payload.js'
export type { BroadcastTarget } from './target.js'
export { type BatchedSocket, WriteBatch } from './write-batch.js'
