/** The one place roomcast reaches into `ws` (pinned to an exact version in package.json). */
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'

/**
 * The deflate window (bits) negotiated for what the server sends, or
 * `undefined` without permessage-deflate. RFC 7692 §7.1.2.1: 15 unless the
 * client asked for less.
 */
export function serverWindowBitsOf(ws: WebSocket): number | undefined {
  const extensions = (ws as unknown as { _extensions?: Record<string, unknown> })._extensions
  if (extensions === undefined)
    throw new Error('roomcast: ws no longer exposes _extensions; pin ws to 8.23.0')
  const deflate = extensions['permessage-deflate'] as
    | { params?: Record<string, unknown> }
    | undefined
  if (deflate === undefined) return undefined
  const bits = deflate.params?.server_max_window_bits
  return typeof bits === 'number' ? bits : 15
}

/**
 * The TCP socket under a `ws` WebSocket. Writing pre-built frames to it skips
 * ws's per-message framing; ws's own writes (sends, pings, close) are
 * synchronous for connections without permessage-deflate, so order is kept.
 * @throws {Error} when this version of ws no longer exposes `_socket`.
 */
export function rawSocketOf(ws: WebSocket): Socket {
  const socket = (ws as unknown as { _socket?: Socket })._socket
  if (socket === undefined || socket === null || typeof socket.write !== 'function') {
    throw new Error('roomcast: ws no longer exposes its socket as _socket; pin ws to 8.23.0')
  }
  return socket
}
