/**
 * An upgrade request held while a Node-style framework (Express, Fastify,
 * Koa) routes it: whatever the framework answers reaches the socket as a complete HTTP
 * response, unless a WebSocket route takes the socket for the handshake first.
 */
import { type IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { guardSocket } from '../server/index.js'

/** What the handshake needs from the `upgrade` event. */
export interface UpgradeSocket {
  readonly socket: Duplex
  readonly head: Buffer
}

export interface HeldUpgrade {
  /** The request's response, for the framework to answer through. */
  readonly response: ServerResponse
  /** The socket for the handshake, once; `undefined` when answered, already taken or gone. */
  take(): UpgradeSocket | undefined
}

const HELD = Symbol('roomcast.heldUpgrade')
type Holding = IncomingMessage & { [HELD]?: HeldUpgrade }

/** The upgrade `request` is held in, when it came through `holdUpgrade()`. */
export function heldUpgradeOf(request: IncomingMessage): HeldUpgrade | undefined {
  return (request as Holding)[HELD]
}

/**
 * Holds `socket` while the framework runs. The response gets the socket only
 * when the framework starts answering (its first write or its end), so a
 * WebSocket route that takes the socket first leaves no response listeners
 * on it, and an answer after that goes nowhere instead of into the WebSocket
 * stream.
 */
export function holdUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): HeldUpgrade {
  guardSocket(socket)
  const response = new ServerResponse(request)
  // A refusal ends the exchange: the response says `Connection: close`, and the socket goes.
  response.shouldKeepAlive = false
  let taken = false
  /** The framework answers: from its first byte on, the response owns the socket. */
  const claim = () => {
    if (taken || socket.destroyed) return
    taken = true
    response.once('finish', () => socket.destroy())
    // An `upgrade` event's socket is the connection's net.Socket; assigning it flushes the answer.
    response.assignSocket(socket as Socket)
  }
  // A streamed or large body writes before it ends: it must reach the socket as it goes.
  for (const method of ['write', 'end'] as const) {
    const original = response[method] as (...args: unknown[]) => unknown
    response[method] = function (this: ServerResponse, ...args: unknown[]) {
      claim()
      return Reflect.apply(original, this, args)
    } as never
  }
  const held: HeldUpgrade = {
    response,
    take: () => {
      if (taken || socket.destroyed || response.writableEnded) return undefined
      taken = true
      return { socket, head }
    },
  }
  Object.assign(request, { [HELD]: held })
  return held
}
