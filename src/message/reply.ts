/** What controllers send back: result and error replies, `ReplyError`, and which errors a client may see. */
import { ErrorCode, RoomcastError } from '../errors.js'
import type { RequestId } from './envelope.js'
import type { ValidationIssue } from './schema.js'

/** Codes roomcast itself puts in `error.code` of an error reply. */
export const ReplyCode = {
  /** Not JSON, or JSON that is not `{ type, action, data?, requestId? }`. */
  InvalidMessage: ErrorCode.InvalidMessage,
  /** No handler for this `type` + `action`. */
  UnknownAction: ErrorCode.UnknownAction,
  /** `data` failed the action's schema; `error.issues` says where. */
  Validation: ErrorCode.Validation,
  /** The handler failed; details went to the server's `onError`, not to the client. */
  Internal: ErrorCode.Internal,
  /** `authorizeJoin` refused a `system.joinRoom`. */
  Forbidden: ErrorCode.Forbidden,
  /** An error with `expose === true` but no string `code`. */
  Handler: ErrorCode.Handler,
} as const

export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode]

/** The reply to a successful action: its result as `data`, `requestId` echoed when sent. */
export interface ResultReply<Data = unknown> {
  type: string
  action: string
  requestId?: RequestId
  data: Data
}

/** `error` of an {@link ErrorReply}. */
export interface ErrorBody {
  code: string
  message: string
  /** The third argument of {@link ReplyError}, when given. */
  details?: unknown
  /** With `ERR_VALIDATION`: every problem the schema found. */
  issues?: ValidationIssue[]
}

/** The reply to a failed action; `action` and `requestId` are echoed when the client sent them. */
export interface ErrorReply {
  type: 'error'
  action?: string
  requestId?: RequestId
  error: ErrorBody
}

/**
 * An error whose `code`, `message` and `details` are sent to the client as
 * they are. Any other error a handler throws is answered with `ERR_INTERNAL`.
 *
 * @example
 * throw new ReplyError('ERR_NOT_FOUND', 'No such message', { messageId })
 */
export class ReplyError extends Error {
  override name = 'ReplyError'
  readonly code: string
  readonly details: unknown
  /** Opts in by the http-errors convention too, so every error path (route objects' included) shows it. */
  readonly expose = true

  /** @throws {TypeError} when `code` is not a non-empty string. */
  constructor(code: string, message: string, details?: unknown, options?: { cause?: unknown }) {
    if (typeof code !== 'string' || code.length === 0) {
      throw new TypeError(`ReplyError: code must be a non-empty string, got ${typeof code}`)
    }
    super(message, options)
    this.code = code
    this.details = details
  }
}

/** Roomcast errors that describe the client's own request, so sending them leaks nothing. */
const EXPOSED_CODES: ReadonlySet<string> = new Set([ErrorCode.MaxRooms, ErrorCode.InvalidRoom])

/**
 * The error body a client may see for `error`, or `undefined` when it must
 * get `ERR_INTERNAL` instead: a {@link ReplyError}, an error with
 * `expose === true` (the http-errors convention), or a roomcast
 * `ERR_MAX_ROOMS` / `ERR_INVALID_ROOM`.
 */
export function exposedBody(error: unknown): ErrorBody | undefined {
  if (error instanceof ReplyError) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: error.details }
  }
  if (error instanceof RoomcastError && EXPOSED_CODES.has(error.code)) {
    return { code: error.code, message: error.message }
  }
  if (
    typeof error === 'object' &&
    error !== null &&
    (error as { expose?: unknown }).expose === true
  ) {
    const { code, message } = error as { code?: unknown; message?: unknown }
    return {
      code: typeof code === 'string' && code.length > 0 ? code : ReplyCode.Handler,
      message: typeof message === 'string' ? message : '',
    }
  }
  return undefined
}

/** The body sent for an error that is not exposed. */
export const internalErrorBody: ErrorBody = { code: ReplyCode.Internal, message: 'Internal error' }

/** `{ type, action, requestId, data }`, without `requestId` when the request had none. */
export function resultReply(
  type: string,
  action: string,
  requestId: RequestId | undefined,
  data: unknown,
): ResultReply {
  return requestId === undefined ? { type, action, data } : { type, action, requestId, data }
}

/** `{ type: 'error', action, requestId, error }`, leaving out what is `undefined`. */
export function errorReply(
  action: string | undefined,
  requestId: RequestId | undefined,
  error: ErrorBody,
): ErrorReply {
  return {
    type: 'error',
    ...(action === undefined ? {} : { action }),
    ...(requestId === undefined ? {} : { requestId }),
    error,
  }
}
