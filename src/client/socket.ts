/** The WebSocket shape the client drives: the browser's class and `ws`'s class both fit it. */

/** What a message event carries; `data` is a string or, with `binaryType = 'arraybuffer'`, an ArrayBuffer. */
export interface SocketMessageEvent {
  readonly data: unknown
}

/** What a close event carries. */
export interface SocketCloseEvent {
  readonly code: number
  readonly reason: string
}

/** What an error event may carry: `ws` sets `error`, browsers set nothing useful. */
export interface SocketErrorEvent {
  readonly error?: unknown
  readonly message?: string
}

/**
 * The part of the standard WebSocket API the client uses. Declared with
 * methods (not `on*` properties) so both the DOM's and `ws`'s classes are
 * assignable without either's type declarations.
 */
export interface WebSocketLike {
  readonly readyState: number
  binaryType: string
  addEventListener(type: 'message', listener: (event: SocketMessageEvent) => void): void
  addEventListener(type: 'close', listener: (event: SocketCloseEvent) => void): void
  addEventListener(type: 'error', listener: (event: SocketErrorEvent) => void): void
  addEventListener(type: 'open', listener: () => void): void
  send(data: string | ArrayBuffer | ArrayBufferView): void
  close(code?: number, reason?: string): void
}

/** A WebSocket class: `globalThis.WebSocket` in browsers, `ws`'s `WebSocket` in Node. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

/** `WebSocket.OPEN`, the same in every implementation. */
export const OPEN = 1

/** What the client delivers: text as a string, binary as an ArrayBuffer in every runtime. */
export type MessageData = string | ArrayBuffer
