/**
 * The bus message codec. One Buffer per message:
 *
 *   [u8 version = 1][u32 BE header length][header: JSON, UTF-8][payload bytes]
 *
 * The header holds everything but a broadcast's payload, which follows as raw
 * bytes so it is never re-encoded (no base64, no JSON escaping). Decoding
 * checks every field and returns `undefined` for anything else: the bus is
 * shared, and a stray publish must not crash a node.
 *
 * A broadcast kept in room history arrives with its positions in front, as
 * the Redis script that stored it wrote them:
 *
 *   [u8 2][positions: JSON [[room, offset, epoch], …]]["\n"][message as above]
 */
import type { RoomPosition } from '../fanout/index.js'
import type { ClusterQuery, WireTarget } from './types.js'

const VERSION = 1
const PREAMBLE = 5
const EMPTY = Buffer.alloc(0)

/** A message to the connections a target selects; `origin` is the sending node or emitter. */
export interface BroadcastMessage {
  kind: 'broadcast'
  origin: string
  /** Unique per origin: receivers drop a repeat when `multi` is set. */
  id: number
  /** Published on several channels, so a node may receive it more than once. */
  multi: boolean
  target: WireTarget
  binary: boolean
  data: Buffer
  /** Where it was kept, for a broadcast to history rooms. */
  positions?: readonly RoomPosition[] | undefined
}

/** A custom cross-node message (`wss.publish`). */
export interface PublishMessage {
  kind: 'publish'
  origin: string
  channel: string
  message: unknown
}

/** Node liveness: `hello` also asks every receiver for its presence snapshot. */
export interface NodeMessage {
  kind: 'node'
  origin: string
  event: 'hello' | 'heartbeat' | 'bye'
  /** Sender's clock, ms since the epoch; informational. */
  time: number
}

export interface RequestMessage {
  kind: 'request'
  origin: string
  requestId: number
  /** The node whose channel gets the response. */
  replyTo: string
  query: ClusterQuery
}

/** One node's answer, or why it has none (`error` set). */
export interface ResponseMessage {
  kind: 'response'
  origin: string
  requestId: number
  answer: unknown
  error: string | undefined
}

/** The origin node now has `count` connections of `userId` in `room` (0: none). */
export interface PresenceMessage {
  kind: 'presence'
  origin: string
  room: string
  userId: string
  count: number
}

/** Every presence entry of the origin node; replaces what receivers held for it. */
export interface SyncMessage {
  kind: 'sync'
  origin: string
  entries: Array<[room: string, userId: string, count: number]>
}

export type WireMessage =
  | BroadcastMessage
  | PublishMessage
  | NodeMessage
  | RequestMessage
  | ResponseMessage
  | PresenceMessage
  | SyncMessage

/**
 * @throws {TypeError} from `JSON.stringify` when a `publish` message or a
 * response's answer has no JSON form (a BigInt, a cycle).
 */
export function encode(message: WireMessage): Buffer {
  let header: object = message
  let data: Buffer = EMPTY
  if (message.kind === 'broadcast') {
    const { data: bytes, target, ...rest } = message
    // Only the wire fields: a caller's target object may carry more (a filter, connections).
    const { rooms, users, ids, except, volatile } = target
    header = { ...rest, target: { rooms, users, ids, except, volatile } }
    data = bytes
  }
  const json = Buffer.from(JSON.stringify(header))
  const out = Buffer.allocUnsafe(PREAMBLE + json.length + data.length)
  out[0] = VERSION
  out.writeUInt32BE(json.length, 1)
  json.copy(out, PREAMBLE)
  data.copy(out, PREAMBLE + json.length)
  return out
}

/**
 * How a broadcast published by `origin` begins after the preamble: `encode`
 * writes `kind` then `origin` first. A node uses it to drop its own echoes
 * from the bus without parsing their headers.
 */
export function broadcastMarker(origin: string): Buffer {
  return Buffer.from(`{"kind":"broadcast","origin":${JSON.stringify(origin)},`)
}

/** Whether `buffer` is a message that starts with `marker` (see {@link broadcastMarker}). */
export function startsWith(buffer: Buffer, marker: Buffer): boolean {
  const end = PREAMBLE + marker.length
  return buffer.length >= end && buffer.compare(marker, 0, marker.length, PREAMBLE, end) === 0
}

const POSITIONED = 2
const NEWLINE = 0x0a

/** @returns the message, or `undefined` for anything that is not a well-formed one. */
export function decode(buffer: Buffer): WireMessage | undefined {
  if (buffer[0] === POSITIONED) return decodePositioned(buffer)
  if (buffer.length < PREAMBLE || buffer[0] !== VERSION) return undefined
  const length = buffer.readUInt32BE(1)
  if (length > buffer.length - PREAMBLE) return undefined
  let h: unknown
  try {
    h = JSON.parse(buffer.toString('utf8', PREAMBLE, PREAMBLE + length))
  } catch {
    return undefined
  }
  if (!isRecord(h) || !isString(h.origin)) return undefined
  const origin = h.origin
  switch (h.kind) {
    case 'broadcast':
      if (!isCount(h.id) || !isTarget(h.target) || !isBoolean(h.binary)) return undefined
      if (!isBoolean(h.multi)) return undefined
      return {
        kind: 'broadcast',
        origin,
        id: h.id,
        multi: h.multi,
        target: h.target,
        binary: h.binary,
        data: buffer.subarray(PREAMBLE + length),
      }
    case 'publish':
      if (!isString(h.channel)) return undefined
      return { kind: 'publish', origin, channel: h.channel, message: h.message }
    case 'node':
      if (h.event !== 'hello' && h.event !== 'heartbeat' && h.event !== 'bye') return undefined
      if (typeof h.time !== 'number') return undefined
      return { kind: 'node', origin, event: h.event, time: h.time }
    case 'request':
      if (!isCount(h.requestId) || !isString(h.replyTo) || !isQuery(h.query)) return undefined
      return { kind: 'request', origin, requestId: h.requestId, replyTo: h.replyTo, query: h.query }
    case 'response':
      if (!isCount(h.requestId) || (h.error !== undefined && !isString(h.error))) return undefined
      return { kind: 'response', origin, requestId: h.requestId, answer: h.answer, error: h.error }
    case 'presence':
      if (!isString(h.room) || !isString(h.userId) || !isCount(h.count)) return undefined
      return { kind: 'presence', origin, room: h.room, userId: h.userId, count: h.count }
    case 'sync':
      if (!Array.isArray(h.entries) || !h.entries.every(isEntry)) return undefined
      return { kind: 'sync', origin, entries: h.entries }
    default:
      return undefined
  }
}

function decodePositioned(buffer: Buffer): WireMessage | undefined {
  const end = buffer.indexOf(NEWLINE)
  if (end === -1) return undefined
  let positions: unknown
  try {
    positions = JSON.parse(buffer.toString('utf8', 1, end))
  } catch {
    return undefined
  }
  if (!Array.isArray(positions) || !positions.every(isPosition)) return undefined
  const message = decode(buffer.subarray(end + 1))
  if (message?.kind !== 'broadcast') return undefined
  return { ...message, positions }
}

function isPosition(value: unknown): value is RoomPosition {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    isString(value[0]) &&
    isCount(value[1]) &&
    isString(value[2])
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isString(value: unknown): value is string {
  return typeof value === 'string'
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean'
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isString)
}

function isEntry(value: unknown): value is [string, string, number] {
  return (
    Array.isArray(value) &&
    value.length === 3 &&
    isString(value[0]) &&
    isString(value[1]) &&
    isCount(value[2])
  )
}

function isTarget(value: unknown): value is WireTarget {
  if (!isRecord(value)) return false
  const { rooms, users, ids, except, volatile } = value
  for (const list of [rooms, users, ids, except])
    if (list !== undefined && !isStrings(list)) return false
  return volatile === undefined || isBoolean(volatile)
}

function isQuery(value: unknown): value is ClusterQuery {
  if (!isRecord(value)) return false
  switch (value.kind) {
    case 'count':
    case 'rooms':
    case 'stats':
      return true
    case 'fetch':
      return isTarget(value.target)
    case 'join':
    case 'leave':
      return isTarget(value.target) && isStrings(value.rooms)
    case 'disconnect':
      return isTarget(value.target) && isCount(value.code) && isString(value.reason)
    case 'revoke':
      return (
        (value.userId === undefined || isString(value.userId)) &&
        (value.jti === undefined || isString(value.jti)) &&
        isCount(value.until)
      )
    default:
      return false
  }
}
