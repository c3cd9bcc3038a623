/**
 * The hooks `upgradeWebSocket()` takes, in @hono/node-ws's shape
 * (`onOpen`, `onMessage`, `onClose`, `onError`), with roomcast's connection
 * where Hono passes its `WSContext`.
 */
import { nearMiss } from '../../options/index.js'
import type { RouteHandler, WSConnection } from '../../types.js'

export interface WebSocketOpenEvent {
  readonly type: 'open'
}

export interface WebSocketMessageEvent {
  readonly type: 'message'
  /** A text frame as a `string`, a binary one as a `Buffer`. */
  readonly data: string | Buffer
  readonly isBinary: boolean
}

export interface WebSocketCloseEvent {
  readonly type: 'close'
  /** 1006 when the connection dropped without a close frame. */
  readonly code: number
  readonly reason: string
}

export interface WebSocketErrorEvent {
  readonly type: 'error'
  readonly error: Error
}

/**
 * A WebSocket route's hooks. Each may be async; messages wait for `onOpen`,
 * as they wait for a `wss.on()` handler.
 */
export interface WebSocketEvents {
  onOpen?: (event: WebSocketOpenEvent, conn: WSConnection) => void | Promise<void>
  onMessage?: (event: WebSocketMessageEvent, conn: WSConnection) => void | Promise<void>
  onClose?: (event: WebSocketCloseEvent, conn: WSConnection) => void | Promise<void>
  onError?: (event: WebSocketErrorEvent, conn: WSConnection) => void | Promise<void>
}

const HOOKS = new Set(['onOpen', 'onMessage', 'onClose', 'onError'])

/** @throws {TypeError} for something other than an object of hooks (a misspelt one too). */
export function checkEvents(events: unknown): WebSocketEvents {
  if (typeof events !== 'object' || events === null) {
    throw new TypeError(
      'roomcast/hono: upgradeWebSocket(): the callback must return { onOpen, onMessage, … }',
    )
  }
  for (const [key, hook] of Object.entries(events)) {
    if (!HOOKS.has(key)) {
      const near = nearMiss(key, HOOKS)
      const hint = near === undefined ? '' : `: did you mean "${near}"?`
      throw new TypeError(`roomcast/hono: upgradeWebSocket(): unknown hook "${key}"${hint}`)
    }
    if (hook !== undefined && typeof hook !== 'function') {
      throw new TypeError(`roomcast/hono: upgradeWebSocket(): "${key}" must be a function`)
    }
  }
  return events as WebSocketEvents
}

/** The roomcast handler that calls the hooks: listeners first, then `onOpen`. */
export function eventsHandler(events: WebSocketEvents): RouteHandler {
  const { onOpen, onMessage, onClose, onError } = events
  return (conn) => {
    if (onMessage) {
      conn.on('message', (data, isBinary) => onMessage({ type: 'message', data, isBinary }, conn))
    }
    if (onClose) conn.on('close', (code, reason) => onClose({ type: 'close', code, reason }, conn))
    if (onError) conn.on('error', (error) => onError({ type: 'error', error }, conn))
    return onOpen?.({ type: 'open' }, conn)
  }
}
