/**
 * Cluster-wide queries and actions: checked targets in, per-node answers
 * merged out, and a node whose answer is missing or malformed listed as an
 * error rather than failing the whole request.
 */
import type {
  Adapter,
  ClusterAnswers,
  ClusterQuery,
  ClusterResult,
  ConnectionInfo,
  NodeError,
  WireTarget,
} from '../adapter/index.js'
import { CloseCode, isSendableCloseCode } from '../close-codes.js'
import { ErrorCode, RoomcastError } from '../errors.js'
import { assertRoomName } from '../rooms.js'

/** A cluster-wide answer, merged over nodes, with the nodes that did not answer. */
export interface ClusterReply<T> {
  value: T
  /** Nodes that answered, this one included. */
  nodes: number
  errors: NodeError[]
  /** `true` when some live node did not answer in time. */
  partial: boolean
}

/**
 * Who a cluster-wide query or action applies to: a union of `rooms`, `users`
 * and connection `ids`, minus `except`. Actions need at least one selector,
 * or `all: true`, so a typo can never reach every connection.
 */
export interface ClusterTarget {
  rooms?: readonly string[]
  users?: readonly string[]
  ids?: readonly string[]
  except?: readonly string[]
  all?: boolean
}

const TARGET_KEYS = new Set(['rooms', 'users', 'ids', 'except', 'all'])
const FORMS = '{ rooms?, users?, ids?, except?, all? } with arrays of non-empty strings'

function stringList(name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new TypeError(`Cluster target: ${name} must be an array of non-empty strings`)
  }
  return value
}

/** @throws {TypeError} for unknown keys, non-arrays, or an action without a selector. */
function wireTarget(target: ClusterTarget, action: boolean): WireTarget {
  if (typeof target !== 'object' || target === null) {
    throw new TypeError(`A cluster target is an object: ${FORMS}`)
  }
  for (const key of Object.keys(target)) {
    if (!TARGET_KEYS.has(key)) throw new TypeError(`Unknown cluster target key "${key}": ${FORMS}`)
  }
  const rooms = stringList('rooms', target.rooms)
  const users = stringList('users', target.users)
  const ids = stringList('ids', target.ids)
  const except = stringList('except', target.except)
  const selects = rooms !== undefined || users !== undefined || ids !== undefined
  if (action && !selects && target.all !== true) {
    throw new TypeError(
      'A cluster action needs rooms, users or ids; pass { all: true } to act on every connection',
    )
  }
  return { rooms, users, ids, except }
}

function roomList(rooms: unknown): string[] {
  if (!Array.isArray(rooms)) throw new TypeError('rooms must be an array of room names')
  for (const room of rooms) assertRoomName(room)
  return rooms
}

const isCount = (value: unknown): value is number => Number.isInteger(value)
const isList = (value: unknown): value is unknown[] => Array.isArray(value)

/** Folds per-node answers into one value; an answer of the wrong shape becomes that node's error. */
function merge<T>(
  result: ClusterResult<unknown>,
  valid: (answer: unknown) => answer is T,
  initial: T,
  add: (a: T, b: T) => T,
): ClusterReply<T> {
  let value = initial
  let nodes = 0
  const errors = [...result.errors]
  for (const [nodeId, answer] of result.answers) {
    if (!valid(answer)) {
      errors.push({ nodeId, error: 'malformed answer' })
      continue
    }
    value = add(value, answer)
    nodes++
  }
  return { value, nodes, errors, partial: result.partial || errors.length > result.errors.length }
}

const sum = (a: number, b: number) => a + b
const isRevoked = (value: unknown): value is [number, number] =>
  Array.isArray(value) && value.length === 2 && isCount(value[0]) && isCount(value[1])

export class ClusterQueries {
  readonly #adapter: Adapter
  readonly #timeout: number | undefined

  constructor(adapter: Adapter, timeout: number | undefined) {
    this.#adapter = adapter
    this.#timeout = timeout
  }

  async countConnections(): Promise<ClusterReply<number>> {
    return merge(await this.#request({ kind: 'count' }), isCount, 0, sum)
  }

  async fetchRooms(): Promise<ClusterReply<string[]>> {
    const reply = merge(await this.#request({ kind: 'rooms' }), isList, [], (a, b) => [...a, ...b])
    return { ...reply, value: [...new Set(reply.value.map(String))] }
  }

  async fetchConnections(target: ClusterTarget = {}): Promise<ClusterReply<ConnectionInfo[]>> {
    const query = { kind: 'fetch', target: wireTarget(target, false) } as const
    const reply = merge(await this.#request(query), isList, [], (a, b) => [...a, ...b])
    return { ...reply, value: reply.value as ConnectionInfo[] }
  }

  async joinRooms(target: ClusterTarget, rooms: string[]): Promise<ClusterReply<number>> {
    const query = {
      kind: 'join',
      target: wireTarget(target, true),
      rooms: roomList(rooms),
    } as const
    return merge(await this.#request(query), isCount, 0, sum)
  }

  async leaveRooms(target: ClusterTarget, rooms: string[]): Promise<ClusterReply<number>> {
    const query = {
      kind: 'leave',
      target: wireTarget(target, true),
      rooms: roomList(rooms),
    } as const
    return merge(await this.#request(query), isCount, 0, sum)
  }

  async disconnect(
    target: ClusterTarget,
    code: number = CloseCode.Normal,
    reason = '',
  ): Promise<ClusterReply<number>> {
    if (!isSendableCloseCode(code)) {
      throw new RoomcastError(ErrorCode.InvalidCloseCode, `Close code ${code} cannot be sent`)
    }
    const query = { kind: 'disconnect', target: wireTarget(target, true), code, reason } as const
    return merge(await this.#request(query), isCount, 0, sum)
  }

  /** @returns connections closed, and the latest expiry (ms, 0 for none) of `jti` anywhere. */
  async revoke(
    userId: string | undefined,
    jti: string | undefined,
    until: number,
  ): Promise<ClusterReply<[closed: number, expiry: number]>> {
    const result = await this.#request({ kind: 'revoke', userId, jti, until })
    return merge(result, isRevoked, [0, 0], (a, b) => [a[0] + b[0], Math.max(a[1], b[1])])
  }

  #request<K extends ClusterQuery['kind']>(
    query: Extract<ClusterQuery, { kind: K }>,
  ): Promise<ClusterResult<ClusterAnswers[K]>> {
    return this.#adapter.request(query, this.#timeout)
  }
}
