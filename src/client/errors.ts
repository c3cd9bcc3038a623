/** The client's errors: its own failures by closed code, and the server's error replies. */

/** Every code a {@link ClientError} can carry. */
export const ClientErrorCode = {
  /** A request got no reply within its `timeout`. */
  Timeout: 'ERR_TIMEOUT',
  /** The client was closed (by `close()`, final advice or a final close code). */
  Closed: 'ERR_CLOSED',
  /** Not connected and the offline buffer is off (`buffer: false`). */
  NotOpen: 'ERR_NOT_OPEN',
  /** A buffered request was dropped: the buffer overflowed or the entry outlived `buffer.ttl`. */
  Dropped: 'ERR_DROPPED',
  /** The socket reported an error; the close that follows says what happens next. */
  Socket: 'ERR_SOCKET',
  /**
   * The `token` provider threw or rejected, and the attempt counts as a failed
   * connection; or a refresh failed (`cause` says why) and the connection goes on.
   */
  Token: 'ERR_TOKEN',
  /** The server sent a control frame the client cannot read. */
  Protocol: 'ERR_PROTOCOL',
} as const

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode]

/** A failure of the client itself; switch on `code`. */
export class ClientError extends Error {
  override name = 'ClientError'
  readonly code: ClientErrorCode

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** The server's `error` object in a `{ type: 'error' }` reply. */
export interface ErrorBody {
  code: string
  message: string
  details?: unknown
  issues?: unknown
}

/** A request the server answered with `{ type: 'error' }`: its `code`, `message`, `details` and `issues`. */
export class RequestError extends Error {
  override name = 'RequestError'
  readonly code: string
  readonly details: unknown
  readonly issues: unknown

  constructor(body: ErrorBody) {
    super(body.message)
    this.code = body.code
    this.details = body.details
    this.issues = body.issues
  }
}
