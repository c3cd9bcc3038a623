/** The admin page's actions: request bodies checked field by field, then run cluster-wide. */
import type { NodeError } from '../adapter/index.js'
import { CloseCode, isSendableCloseCode, truncateCloseReason } from '../close-codes.js'
import { toError } from '../errors.js'
import { assertRoomName } from '../rooms.js'
import type { RoomcastServer } from '../server/index.js'

/**
 * The close code of an admin disconnect: 1008 (policy violation, RFC 6455
 * §7.4.1) is final for the roomcast client and most others, so a kicked
 * client does not reconnect at once as it would after 1001 or a 4xxx code.
 */
export const ADMIN_CLOSE_CODE = CloseCode.PolicyViolation
export const ADMIN_CLOSE_REASON = 'Disconnected by an administrator'

/** `POST {path}/api/disconnect`: one connection (`id`) or every connection of a user (`userId`). */
export interface DisconnectBody {
  id?: string
  userId?: string
  /** @default 1008 */
  code?: number
  /** @default 'Disconnected by an administrator' */
  reason?: string
}

/** `POST {path}/api/broadcast`: a text message to one room's members, or to every connection. */
export interface BroadcastBody {
  message: string
  room?: string
}

/** A checked disconnect body, defaults applied. */
export type DisconnectAction = { code: number; reason: string } & (
  | { id: string }
  | { userId: string }
)

export interface DisconnectResult {
  /** Connections closed, cluster-wide. */
  closed: number
  errors: NodeError[]
  partial: boolean
}

export interface BroadcastResult {
  /** Connections reached on the node serving the page; other nodes deliver on their own. */
  reachedLocally: number
}

/** A body that cannot be acted on: the message for the 400. */
export class BodyError extends Error {}

type Fields = Record<string, unknown>

function fields(body: unknown, known: readonly string[]): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BodyError('the body must be a JSON object')
  }
  for (const key of Object.keys(body)) {
    if (!known.includes(key)) throw new BodyError(`unknown field "${key}"`)
  }
  return body as Fields
}

function text(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '')
    throw new BodyError(`${name} must be a non-empty string`)
  return value
}

export function disconnectBody(body: unknown): DisconnectAction {
  const given = fields(body, ['id', 'userId', 'code', 'reason'])
  const id = text(given.id, 'id')
  const userId = text(given.userId, 'userId')
  if (id === undefined && userId === undefined) {
    throw new BodyError('give id (one connection) or userId (all of a user)')
  }
  if (id !== undefined && userId !== undefined) {
    throw new BodyError('give either id (one connection) or userId (all of a user), not both')
  }
  const code = given.code ?? ADMIN_CLOSE_CODE
  if (typeof code !== 'number' || !isSendableCloseCode(code)) {
    throw new BodyError('code must be a close code that may be sent (1000–1014, 3000–4999)')
  }
  const reason = given.reason ?? ADMIN_CLOSE_REASON
  if (typeof reason !== 'string') throw new BodyError('reason must be a string')
  const close = { code, reason: truncateCloseReason(reason) }
  return id !== undefined ? { ...close, id } : { ...close, userId: userId as string }
}

export async function disconnect(
  wss: RoomcastServer,
  body: DisconnectAction,
): Promise<DisconnectResult> {
  const reply =
    'id' in body
      ? await wss.disconnect({ ids: [body.id] }, body.code, body.reason)
      : await wss.disconnectUser(body.userId, body.code, body.reason)
  return { closed: reply.value, errors: reply.errors, partial: reply.partial }
}

export function broadcastBody(body: unknown): BroadcastBody {
  const given = fields(body, ['message', 'room'])
  if (typeof given.message !== 'string') throw new BodyError('message must be a string')
  const room = text(given.room, 'room')
  if (room === undefined) return { message: given.message }
  try {
    assertRoomName(room)
  } catch (error) {
    throw new BodyError(toError(error).message)
  }
  return { message: given.message, room }
}

export function broadcast(wss: RoomcastServer, body: BroadcastBody): BroadcastResult {
  const reachedLocally =
    body.room === undefined ? wss.broadcast(body.message) : wss.to(body.room).send(body.message)
  return { reachedLocally }
}
