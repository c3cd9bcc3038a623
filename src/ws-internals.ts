/** The one place roomcast reaches into `ws` (pinned to an exact version in package.json). */
import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'

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
