/** Reads the server's frames: `0x1E <JSON header> 0x0A <body>` is a control frame, anything else a plain message. */
import type { MessageData } from './socket.js'

/** A message's position in one room: `[room, offset, epoch]`. */
export type RoomPosition = readonly [room: string, offset: number, epoch: string]

/** The control headers of protocol v1, by `t`. */
export type ControlHeader =
  | {
      readonly t: 'session'
      readonly id: string
      readonly conn: string
      readonly recovered: boolean
    }
  | { readonly t: 'msg'; readonly p?: readonly RoomPosition[] }
  | { readonly t: 'join'; readonly room: string; readonly offset: number; readonly epoch: string }
  | { readonly t: 'leave'; readonly room: string }
  | { readonly t: 'advice'; readonly retry: number }
  | { readonly t: 'advice'; readonly final: true }

/** One frame as read: plain, control (`header` absent for a `t` this version does not know), or unreadable. */
export type Frame =
  | { readonly kind: 'plain'; readonly body: MessageData }
  | {
      readonly kind: 'control'
      readonly header: ControlHeader | undefined
      readonly body: MessageData
    }
  | { readonly kind: 'invalid'; readonly reason: string }

const RECORD_SEPARATOR = 0x1e
const LINE_FEED = 0x0a
const decoder = new TextDecoder()

/** Splits `data` into header and body when its first byte is 0x1E. */
export function readFrame(data: MessageData): Frame {
  if (typeof data === 'string') {
    if (data.charCodeAt(0) !== RECORD_SEPARATOR) return { kind: 'plain', body: data }
    const end = data.indexOf('\n')
    if (end < 0) return { kind: 'invalid', reason: 'control frame without a line feed' }
    return controlFrame(data.slice(1, end), data.slice(end + 1))
  }
  const bytes = new Uint8Array(data)
  if (bytes[0] !== RECORD_SEPARATOR) return { kind: 'plain', body: data }
  const end = bytes.indexOf(LINE_FEED)
  if (end < 0) return { kind: 'invalid', reason: 'control frame without a line feed' }
  return controlFrame(decoder.decode(bytes.subarray(1, end)), data.slice(end + 1))
}

function controlFrame(json: string, body: MessageData): Frame {
  let header: unknown
  try {
    header = JSON.parse(json)
  } catch {
    return { kind: 'invalid', reason: 'control header is not JSON' }
  }
  if (!isRecord(header) || typeof header.t !== 'string') {
    return { kind: 'invalid', reason: 'control header has no "t"' }
  }
  if (!KNOWN.has(header.t)) return { kind: 'control', header: undefined, body }
  if (!isValidHeader(header)) return { kind: 'invalid', reason: `malformed "${header.t}" header` }
  return { kind: 'control', header: header as ControlHeader, body }
}

const KNOWN: ReadonlySet<string> = new Set(['session', 'msg', 'join', 'leave', 'advice'])

function isValidHeader(header: Record<string, unknown>): boolean {
  switch (header.t) {
    case 'session':
      return isString(header.id) && isString(header.conn) && typeof header.recovered === 'boolean'
    case 'msg':
      return header.p === undefined || (Array.isArray(header.p) && header.p.every(isRoomPosition))
    case 'join':
      return isString(header.room) && isOffset(header.offset) && isString(header.epoch)
    case 'leave':
      return isString(header.room)
    default:
      return header.final === true || (typeof header.retry === 'number' && header.retry >= 0)
  }
}

function isRoomPosition(value: unknown): value is RoomPosition {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    isString(value[0]) &&
    isOffset(value[1]) &&
    isString(value[2])
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const isString = (value: unknown): value is string => typeof value === 'string'
const isOffset = (value: unknown): value is number => Number.isSafeInteger(value)
