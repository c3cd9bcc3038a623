/**
 * From a frame to the application: parse (safe JSON, or `transformRawData`),
 * then declarative responses, controllers, and `onMessage`, in that order.
 */

import { ErrorCode, toError } from '../errors.js'
import { isSendData } from '../fanout/index.js'
import { invokeHook, isThenable } from '../hooks.js'
import type { WSConnection } from '../types.js'
import { type JsonLimits, parseMaybeJson } from './safe-json.js'

/** Seed 002's declarative response rule: the first rule whose `match` accepts a message answers it. */
export interface ResponseRule<In = unknown> {
  match: (conn: WSConnection, message: In) => boolean
  /** The answer, or a function making it (may be async); strings and bytes go as they are, the rest as JSON. */
  response: ResponseFunction<In> | ResponseValue
  /** Send to a room instead of the sender. */
  broadcast?: { room: string; includeSelf?: boolean }
}

/** Makes a response from the message; may be async. `undefined` sends nothing. */
export type ResponseFunction<In = unknown> = (conn: WSConnection, message: In) => unknown

/**
 * A static response. Spelled out rather than `unknown`, which would swallow
 * the function type and leave an inline `(conn, msg) => …` untyped.
 */
export type ResponseValue = string | number | boolean | null | object

/** Routes a parsed message to a controller; `false` when none handles it and `fallthrough` was asked. */
export type ControllerDispatch = (
  conn: WSConnection,
  message: unknown,
  fallthrough: boolean,
) => boolean | Promise<boolean>

export interface MessageHandlerOptions<In> {
  limits: JsonLimits
  transformRawData: ((raw: string | Buffer, isBinary: boolean) => unknown) | undefined
  responses: ReadonlyArray<ResponseRule<In>> | undefined
  /** Controllers in scope for this connection, if any are registered. */
  controllers: ControllerDispatch | undefined
  /** Whether any controller is registered now (they may come after the route). */
  controllersActive: () => boolean
  onMessage: ((conn: WSConnection, data: In) => void) | undefined
  /** Where a failing rule, controller or handler goes (the route's error policy). */
  fail: (conn: WSConnection, error: Error) => void
  /** A reply whose connection closed before it was ready. */
  replyDropped: () => void
}

/** The error reply every part of the message layer sends: seed 002's `message`, plus a code. */
export function errorReply(
  code: string,
  message: string,
  extra?: Record<string, unknown>,
): Record<string, unknown> {
  return { type: 'error', ...extra, message, error: { code, message } }
}

/** Sends a response value: strings and bytes as they are, anything else as JSON. */
function respond<In>(
  conn: WSConnection,
  rule: ResponseRule<In>,
  value: unknown,
  dropped: () => void,
) {
  if (value === undefined) return
  if (!conn.isOpen) return dropped()
  if (rule.broadcast === undefined) {
    // send() would take the encoded bytes for a binary frame: strings and objects are text.
    if (isSendData(value)) conn.send(value)
    else conn.json(value)
    return
  }
  const { room, includeSelf = false } = rule.broadcast
  conn.broadcast(value, { room, includeSelf })
}

function runResponse<In>(
  conn: WSConnection,
  rule: ResponseRule<In>,
  message: In,
  dropped: () => void,
): Promise<void> | undefined {
  const response = rule.response
  const value =
    typeof response === 'function' ? (response as ResponseFunction<In>)(conn, message) : response
  if (!isThenable(value)) {
    respond(conn, rule, value, dropped)
    return undefined
  }
  return Promise.resolve(value).then((settled) => respond(conn, rule, settled, dropped))
}

/**
 * Builds the `message` listener for one route. A route that uses none of it
 * (and has no controllers to try) skips even the JSON parse.
 */
export function createMessageHandler<In>(
  options: MessageHandlerOptions<In>,
): (conn: WSConnection, raw: string | Buffer, isBinary: boolean) => void {
  const { limits, transformRawData, responses, controllers, onMessage, fail } = options
  const ownUse =
    responses !== undefined || onMessage !== undefined || transformRawData !== undefined
  const active = options.controllersActive
  const decode = (conn: WSConnection, raw: string | Buffer, isBinary: boolean): unknown => {
    if (transformRawData !== undefined) return transformRawData(raw, isBinary)
    if (isBinary || typeof raw !== 'string') return raw
    const parsed = parseMaybeJson(raw, limits)
    if (parsed.kind === 'json') return parsed.value
    if (parsed.kind === 'text') return raw
    conn.json(errorReply(ErrorCode.InvalidMessage, `Invalid message: ${parsed.reason}`))
    return INVALID
  }
  const dispatch = (conn: WSConnection, message: In): Promise<void> | undefined => {
    if (responses !== undefined) {
      for (const rule of responses) {
        if (rule.match(conn, message)) return runResponse(conn, rule, message, options.replyDropped)
      }
    }
    if (controllers !== undefined) {
      const handled = controllers(conn, message, onMessage !== undefined)
      if (isThenable(handled)) {
        return Promise.resolve(handled).then((done) => {
          if (!done) return invokeHook(onMessage, [conn, message], (e) => fail(conn, e))
        })
      }
      if (handled) return undefined
    }
    return invokeHook(onMessage, [conn, message], (error) => fail(conn, error))
  }
  return (conn, raw, isBinary) => {
    if (!ownUse && !active()) return
    try {
      const message = decode(conn, raw, isBinary)
      if (message === INVALID) return
      const pending = dispatch(conn, message as In)
      pending?.catch((error: unknown) => fail(conn, toError(error)))
    } catch (error) {
      fail(conn, toError(error))
    }
  }
}

/** Marks a message already answered as invalid. */
const INVALID = Symbol('invalid message')
