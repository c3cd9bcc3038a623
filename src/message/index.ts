/** The message layer: safe JSON, type + action controllers, responses, validation, rate limits. */

export { ControllerConvention, controllerConvention } from './controller-convention.js'

export type {
  ActionContext,
  ActionHandler,
  ActionRoute,
  ControllerActionRoute,
  ControllerClass,
  ControllerRoute,
  ControllerTypeRoute,
} from './controller-types.js'
export type { Envelope, RequestId } from './envelope.js'
export {
  errorReply,
  type ResponseFunction,
  type ResponseRule,
  type ResponseValue,
} from './message-handler.js'
export { MessageLayer } from './message-layer.js'
export { TokenBucket } from './rate-limit.js'
export { type ErrorReply, ReplyError, type ResultReply } from './reply.js'
export type { InferInput, InferOutput, StandardSchemaV1, ValidationIssue } from './schema.js'
export {
  type RoomReply,
  type RoomRequest,
  type SystemControllerOptions,
  systemController,
} from './system-controller.js'
export {
  type ActionSpec,
  type Contract,
  type ContractControllers,
  type ContractReply,
  type ContractRequest,
  defineAction,
  defineControllers,
  type TypedConnection,
} from './typed.js'
