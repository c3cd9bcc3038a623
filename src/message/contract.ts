/** The pure contract types, shared by the server's typed handlers and the browser client; imports nothing. */

/** One action of a contract: what the client sends as `data`, what the handler replies. */
export interface ActionSpec {
  data?: unknown
  reply?: unknown
}

/**
 * A message map, `type` → `action` → {@link ActionSpec}. Used as a bound:
 * `C extends Contract<C>` accepts interfaces, which have no index signature.
 *
 * @example
 * interface ChatContract {
 *   chat: { send: { data: { text: string }; reply: { messageId: number } } }
 * }
 */
export type Contract<C> = { [T in keyof C]: { [A in keyof C[T]]: ActionSpec } }

/** `data` of an action spec; `undefined` when it declares none. */
export type SpecData<S> = 'data' extends keyof S ? S['data'] : undefined

/** `reply` of an action spec; `undefined` (no reply is sent) when it declares none. */
export type SpecReply<S> = 'reply' extends keyof S ? S['reply'] : undefined
