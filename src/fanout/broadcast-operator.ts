/** wss.to(...).except(...).filter(...).volatile.send(): a chainable view of a BroadcastTarget. */

import { assertRoomName } from '../rooms.js'
import type { SendData, WSConnection } from '../types.js'
import { type Payload, toJsonPayload, toPayload } from './payload.js'
import type { BroadcastTarget } from './target.js'

/** Something a broadcast skips: a connection, a connection id, or a room's name. */
export type Excluded = WSConnection | string

type Deliver = (target: BroadcastTarget<WSConnection>, payload: Payload) => number

/** Turns exclusions into ids and room names (a string may be either; both are skipped). */
export function exclusionNames(excluded: readonly Excluded[]): string[] {
  return excluded.map((item) => {
    if (typeof item === 'string') return item
    if (typeof item === 'object' && item !== null && typeof item.id === 'string') return item.id
    throw new TypeError('except() takes connections, connection ids or room names')
  })
}

/**
 * An immutable broadcast target: each call returns a new operator. Several
 * rooms are a union; a connection in two of them receives a message once.
 * @example
 * wss.to('lobby', 'vip').except(conn).filter((c) => c.metadata.admin !== true).json(event)
 */
export class BroadcastOperator {
  readonly #deliver: Deliver
  readonly #target: BroadcastTarget<WSConnection>

  constructor(deliver: Deliver, target: BroadcastTarget<WSConnection> = {}) {
    this.#deliver = deliver
    this.#target = target
  }

  /** Adds rooms to the target (without any, the target is every connection). */
  to(...rooms: string[]): BroadcastOperator {
    for (const room of rooms) assertRoomName(room)
    return this.#with({ rooms: [...(this.#target.rooms ?? []), ...rooms] })
  }

  /** Skips connections, connection ids, and the members of rooms named here. */
  except(...excluded: Excluded[]): BroadcastOperator {
    const names = exclusionNames(excluded)
    return this.#with({ except: [...(this.#target.except ?? []), ...names] })
  }

  /** Keeps only connections `predicate` accepts; several filters must all accept. */
  filter(predicate: (conn: WSConnection) => boolean): BroadcastOperator {
    if (typeof predicate !== 'function') throw new TypeError('filter() takes a function')
    const previous = this.#target.filter
    const filter = previous ? (conn: WSConnection) => previous(conn) && predicate(conn) : predicate
    return this.#with({ filter })
  }

  /** Messages that a connection with unsent data skips (positions, cursors, typing). */
  get volatile(): BroadcastOperator {
    return this.#with({ volatile: true })
  }

  /** @returns how many local connections it reached. */
  send(data: SendData): number {
    return this.#deliver(this.#target, toPayload(data))
  }

  /** Sends `JSON.stringify(value)`, encoded once. @returns how many connections it reached. */
  json(value: unknown): number {
    return this.#deliver(this.#target, toJsonPayload(value))
  }

  #with(change: BroadcastTarget<WSConnection>): BroadcastOperator {
    return new BroadcastOperator(this.#deliver, { ...this.#target, ...change })
  }
}
