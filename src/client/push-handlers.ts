/** Handlers for server pushes: JSON messages routed by `type` + `action`, one handler each. */

/** A JSON message from the server with a string `type` and `action` that answers no request. */
export interface PushMessage {
  readonly type: string
  readonly action: string
  readonly data?: unknown
  readonly [key: string]: unknown
}

/** Handles the pushes of one `type` + `action`; a throw or rejection goes to `error`. */
export type PushHandler = (data: unknown, message: PushMessage) => void | PromiseLike<void>

/** The push handlers of one client. */
export class PushHandlers {
  readonly #byKey = new Map<string, PushHandler>()

  /**
   * Registers `handler`; returns the function that removes it.
   * @throws {TypeError} when that `type` + `action` already has a handler.
   */
  add(type: string, action: string, handler: PushHandler): () => void {
    const key = keyOf(type, action)
    if (this.#byKey.has(key)) {
      throw new TypeError(`handle: "${type}" + "${action}" already has a handler`)
    }
    this.#byKey.set(key, handler)
    return () => {
      if (this.#byKey.get(key) === handler) this.#byKey.delete(key)
    }
  }

  /** Runs the handler of `message`'s `type` + `action`, if any; its failure goes to `onError`. */
  dispatch(message: Record<string, unknown>, onError: (error: unknown) => void): void {
    const { type, action } = message
    if (typeof type !== 'string' || typeof action !== 'string') return
    const handler = this.#byKey.get(keyOf(type, action))
    if (handler === undefined) return
    try {
      const result = handler(message.data, message as PushMessage)
      if (result !== undefined) Promise.resolve(result).then(undefined, onError)
    } catch (error) {
      onError(error)
    }
  }
}

// NUL cannot be confused with a character of either name.
const keyOf = (type: string, action: string) => `${type}\u0000${action}`
