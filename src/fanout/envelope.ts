/**
 * Control frames for roomcast clients (docs/protocol.md): `0x1E`, a JSON
 * header, `\n`, then the body. Plain clients never receive one.
 */

/** The first byte of every control frame. */
export const CONTROL_MARK = 0x1e
const NEWLINE = 0x0a

/** A message's place in one room's stream: room, offset, epoch. */
export type RoomPosition = readonly [room: string, offset: number, epoch: string]

/** The control frames the server sends, by `t`. */
export type ControlHeader =
  | { t: 'session'; id: string; conn: string; recovered: boolean }
  | { t: 'msg'; p?: readonly RoomPosition[] }
  | { t: 'join'; room: string; offset: number; epoch: string }
  | { t: 'leave'; room: string }
  | { t: 'advice'; retry: number }
  | { t: 'advice'; final: true }

/** `header` and `body` as one control frame's bytes. */
export function controlFrame(header: ControlHeader, body?: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header))
  const length = 1 + json.length + 1 + (body?.length ?? 0)
  const out = Buffer.allocUnsafe(length)
  out[0] = CONTROL_MARK
  json.copy(out, 1)
  out[1 + json.length] = NEWLINE
  body?.copy(out, 2 + json.length)
  return out
}
