/** roomcast's error classes and their stable string codes. Argument-type misuse throws TypeError. */

/**
 * Every code a {@link RoomcastError} can carry. The set is closed: code that
 * switches on `error.code` can rely on it.
 */
export const ErrorCode = {
  /** An option passed to `createWebSocket()` has the wrong type or range. */
  InvalidOption: 'ERR_INVALID_OPTION',
  /** A route pattern is malformed (e.g. `*` not in last position). */
  InvalidRoute: 'ERR_INVALID_ROUTE',
  /** The same route pattern was registered twice. */
  DuplicateRoute: 'ERR_DUPLICATE_ROUTE',
  /** A room name is not a non-empty string of at most 256 characters. */
  InvalidRoom: 'ERR_INVALID_ROOM',
  /** A connection tried to join more rooms than `maxRoomsPerConnection`. */
  MaxRooms: 'ERR_MAX_ROOMS',
  /** A close code that may not be sent (1005, 1006, 1015, out of range). */
  InvalidCloseCode: 'ERR_INVALID_CLOSE_CODE',
  /** A client sent more bytes than `maxQueuedBytes` before its handler was ready. */
  QueueOverflow: 'ERR_QUEUE_OVERFLOW',
  /** The server was used after `close()`. */
  ServerClosed: 'ERR_SERVER_CLOSED',
  /** A message is not valid JSON where JSON is required, not an envelope, or breaks a JSON limit. */
  InvalidMessage: 'ERR_INVALID_MESSAGE',
  /** No controller handles the message's `type` and `action`. */
  UnknownAction: 'ERR_UNKNOWN_ACTION',
  /** A message's `data` failed its action's schema. */
  Validation: 'ERR_VALIDATION',
  /** A connection sent messages faster than its `rateLimit`. */
  RateLimited: 'ERR_RATE_LIMITED',
  /** A token was refused (an in-band refresh); why goes to the server's log, never to the client. */
  Unauthorized: 'ERR_UNAUTHORIZED',
  /** The application refused the request (e.g. `authorizeJoin`). */
  Forbidden: 'ERR_FORBIDDEN',
  /** A handler failed; details stay on the server. */
  Internal: 'ERR_INTERNAL',
  /** A handler's error with `expose === true` but no string `code`. */
  Handler: 'ERR_HANDLER',
  /** The cluster's message bus is down: cross-node delivery and requests fail until it is back. */
  AdapterDown: 'ERR_ADAPTER_DOWN',
  /** A publish failed while the bus was reported up. */
  AdapterPublish: 'ERR_ADAPTER_PUBLISH',
  /** Subscribing or unsubscribing a channel failed; it is retried when the bus is back. */
  AdapterSubscribe: 'ERR_ADAPTER_SUBSCRIBE',
  /** The adapter or emitter was used after `close()`. */
  AdapterClosed: 'ERR_ADAPTER_CLOSED',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Base class of the errors roomcast raises. */
export class RoomcastError extends Error {
  override name = 'RoomcastError'
  readonly code: ErrorCode
  /** For errors that end a connection: the close code it was closed with. */
  readonly closeCode: number | undefined

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; closeCode?: number }) {
    super(message, options)
    this.code = code
    this.closeCode = options?.closeCode
  }
}

/** Thrown by `conn.join()` past `maxRoomsPerConnection`. */
export class MaxRoomsExceededError extends RoomcastError {
  override name = 'MaxRoomsExceededError'
  readonly room: string
  readonly limit: number

  constructor(room: string, limit: number) {
    super(
      ErrorCode.MaxRooms,
      `cannot join room "${room}": connection already in ${limit} rooms (maxRoomsPerConnection)`,
    )
    this.room = room
    this.limit = limit
  }
}

/** Wraps a non-Error thrown value so listeners always receive an `Error`. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value })
}
