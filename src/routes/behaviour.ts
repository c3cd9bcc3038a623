/** Seed 003's (verb's) behaviour object as a route handler: `wss.on(path, { open, message, close, … })`. */
import { assertKnownKeys, keySet } from '../options/index.js'
import type { RouteHandler, WSConnection } from '../types.js'

/**
 * Handlers by event, as verb's `websocket` option names them. `open` runs
 * like a route handler: messages wait until it settles, and a throw closes with 1011.
 */
export interface Behaviour {
  open?: (conn: WSConnection) => unknown
  /** A text frame as a `string`, a binary frame as a `Buffer`. */
  message?: (conn: WSConnection, message: string | Buffer) => unknown
  close?: (conn: WSConnection, code: number, reason: string) => unknown
  /** Unsent data fell back to zero after passing half of `maxBackpressure`. */
  drain?: (conn: WSConnection) => unknown
  ping?: (conn: WSConnection, data: Buffer) => unknown
  pong?: (conn: WSConnection, data: Buffer) => unknown
  error?: (conn: WSConnection, error: Error) => unknown
}

const BEHAVIOUR_KEYS = keySet<Behaviour>({
  open: true,
  message: true,
  close: true,
  drain: true,
  ping: true,
  pong: true,
  error: true,
})

/**
 * The route handler a behaviour object stands for.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for a key it does not have. @throws {TypeError} for a non-function.
 */
export function behaviourHandler(behaviour: Behaviour, path: string): RouteHandler {
  assertKnownKeys(behaviour, BEHAVIOUR_KEYS, { object: 'behaviour', scope: `route ${path}` })
  for (const [key, value] of Object.entries(behaviour)) {
    if (value !== undefined && typeof value !== 'function') {
      throw new TypeError(`route ${path}: ${key} must be a function`)
    }
  }
  const { open, message, close, drain, ping, pong, error } = behaviour
  return (conn) => {
    if (message !== undefined) conn.on('message', (data) => message(conn, data))
    if (close !== undefined) conn.on('close', (code, reason) => close(conn, code, reason))
    if (drain !== undefined) conn.on('drain', () => drain(conn))
    if (ping !== undefined) conn.on('ping', (data) => ping(conn, data))
    if (pong !== undefined) conn.on('pong', (data) => pong(conn, data))
    if (error !== undefined) conn.on('error', (failure) => error(conn, failure))
    // The server's startup awaits this and closes with 1011 if it throws.
    return open?.(conn)
  }
}
