/** Holds a connection's inbound events until its handler is ready; bounded in bytes. */
import { CloseCode } from '../close-codes.js'
import { ErrorCode, RoomcastError } from '../errors.js'
import type { ConnectionEvents } from '../types.js'

/** What a connection holds while its handler starts: messages, then maybe its close. */
export type HeldEvent =
  | { event: 'message'; args: Parameters<ConnectionEvents['message']> }
  | { event: 'close'; args: Parameters<ConnectionEvents['close']> }

export class StartupQueue<Item> {
  readonly #limit: number
  #items: Item[] | undefined = []
  #bytes = 0

  /** @param limit bytes the queue may hold. */
  constructor(limit: number) {
    this.#limit = limit
  }

  /** Holds `item`, counting `bytes` against the limit. @returns `false` when it would overflow. */
  hold(item: Item, bytes = 0): boolean {
    if (this.#items === undefined) throw new Error('StartupQueue: hold() after release()')
    if (this.#bytes + bytes > this.#limit) return false
    this.#bytes += bytes
    this.#items.push(item)
    return true
  }

  /** Stops holding and returns what was held, oldest first. Idempotent. */
  release(): Item[] {
    const items = this.#items ?? []
    this.#items = undefined
    this.#bytes = 0
    return items
  }
}

/** What `onError` hears when a client overflows `maxQueuedBytes`; the connection closes with 1008. */
export function queueOverflow(connectionId: string, limit: number): RoomcastError {
  return new RoomcastError(
    ErrorCode.QueueOverflow,
    `Connection ${connectionId} sent more than ${limit} bytes (maxQueuedBytes) before its handler was ready`,
    { closeCode: CloseCode.PolicyViolation },
  )
}
