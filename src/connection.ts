/** The connection object: sending, closing, events, rooms and the inbound queue. */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import { isSendableCloseCode, truncateCloseReason } from './close-codes.js'
import { ErrorCode, MaxRoomsExceededError, RoomcastError } from './errors.js'
import { ListenerRegistry } from './listeners.js'
import { type Payload, toJsonPayload, toPayload } from './payload.js'
import { assertRoomName, type RoomIndex } from './rooms.js'
import type { StatsCounter } from './stats.js'
import type { ConnectionEvent, ConnectionEvents, SendData, WSConnection } from './types.js'

/** `WebSocket.OPEN` from RFC 6455's readyState; spelled out so `ws` stays a type import here. */
const OPEN = 1

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly rooms: RoomIndex
  readonly stats: StatsCounter
  readonly maxRoomsPerConnection: number
  readonly maxQueuedBytes: number
  broadcastFrom(conn: Connection, room: string, payload: Payload): number
  reportError(conn: Connection, error: Error): void
  connectionClosed(conn: Connection, code: number, reason: string): void
}

/** Where the upgrade request was routed. */
export interface ConnectionRoute {
  url: string
  params: Record<string, string>
  query: URLSearchParams
}

type QueuedEvent = {
  [E in ConnectionEvent]: { event: E; args: Parameters<ConnectionEvents[E]> }
}[ConnectionEvent]

export class Connection implements WSConnection {
  readonly id = randomUUID()
  readonly url: string
  readonly params: Record<string, string>
  readonly query: URLSearchParams
  readonly request: IncomingMessage
  readonly protocol: string
  readonly remoteAddress: string | undefined
  metadata: Record<string, unknown> = {}
  isAlive = true
  lastPong = Date.now()

  readonly #socket: WebSocket
  readonly #host: ConnectionHost
  readonly #listeners = new ListenerRegistry<ConnectionEvents>()
  /** Events held until the middleware chain and route handler settle; `undefined` once open. */
  #queue: QueuedEvent[] | undefined = []
  #queuedBytes = 0
  #closed = false
  #closedByServer = false

  constructor(
    host: ConnectionHost,
    socket: WebSocket,
    request: IncomingMessage,
    route: ConnectionRoute,
  ) {
    this.#host = host
    this.#socket = socket
    this.request = request
    this.url = route.url
    this.params = route.params
    this.query = route.query
    this.protocol = socket.protocol
    this.remoteAddress = request.socket.remoteAddress
    socket.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary))
    socket.on('ping', (data) => this.#dispatch({ event: 'ping', args: [data] }))
    socket.on('pong', (data) => {
      this.isAlive = true
      this.lastPong = Date.now()
      this.#dispatch({ event: 'pong', args: [data] })
    })
    // ws closes the socket itself after protocol errors (1002, 1007, 1009); we only report them.
    socket.on('error', (error) => host.reportError(this, error))
    socket.on('close', (code, reason) => this.#onClose(code, reason.toString()))
  }

  get isOpen(): boolean {
    return this.#socket.readyState === OPEN
  }

  send(data: SendData): boolean {
    return this.sendPayload(toPayload(data))
  }

  json(value: unknown): boolean {
    return this.sendPayload(toJsonPayload(value))
  }

  /** Writes an encoded payload; the path every send and broadcast takes. */
  sendPayload(payload: Payload): boolean {
    if (this.#socket.readyState !== OPEN) return false
    this.#socket.send(payload.data, { binary: payload.binary })
    this.#host.stats.messagesOut++
    this.#host.stats.bytesOut += payload.data.length
    return true
  }

  close(code = 1000, reason = ''): void {
    if (!isSendableCloseCode(code)) {
      throw new RoomcastError(
        ErrorCode.InvalidCloseCode,
        `Close code ${code} cannot be sent; use 1000–1003, 1007–1014 or 3000–4999`,
      )
    }
    if (this.#socket.readyState > OPEN) return
    this.#closedByServer = true
    this.#socket.close(code, truncateCloseReason(String(reason)))
  }

  terminate(): void {
    this.#closedByServer = true
    this.#socket.terminate()
  }

  /**
   * Whether this side closed or terminated the connection. A client that
   * closes during startup does not stop the handler: it still receives the
   * messages sent before the close, then the close itself.
   */
  get closedByServer(): boolean {
    return this.#closedByServer
  }

  /** Heartbeat ping; `isAlive` stays false until the pong arrives. */
  ping(): void {
    if (this.#socket.readyState !== OPEN) return
    this.isAlive = false
    this.#socket.ping()
  }

  on<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.#listeners.add(event, listener, false)
    return this
  }

  once<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.#listeners.add(event, listener, true)
    return this
  }

  off<E extends ConnectionEvent>(event: E, listener: ConnectionEvents[E]): this {
    this.#listeners.remove(event, listener)
    return this
  }

  onMessage(listener: ConnectionEvents['message']): this {
    return this.on('message', listener)
  }

  onClose(listener: ConnectionEvents['close']): this {
    return this.on('close', listener)
  }

  listenerCount(event: ConnectionEvent): number {
    return this.#listeners.count(event)
  }

  /** Emits `error` to the connection's listeners; their own failures go to `onFailure`. */
  emitError(error: Error, onFailure: (error: Error) => void): void {
    this.#listeners.emit('error', [error], onFailure)
  }

  join(room: string): void {
    assertRoomName(room)
    if (this.#closed) return
    const rooms = this.#host.rooms
    if (rooms.roomsOf(this.id)?.has(room)) return
    const limit = this.#host.maxRoomsPerConnection
    if (limit > 0 && rooms.roomCountOf(this.id) >= limit)
      throw new MaxRoomsExceededError(room, limit)
    rooms.add(this.id, room)
  }

  leave(room: string): void {
    assertRoomName(room)
    this.#host.rooms.remove(this.id, room)
  }

  leaveAll(): void {
    this.#host.rooms.removeAll(this.id)
  }

  getRooms(): string[] {
    return [...(this.#host.rooms.roomsOf(this.id) ?? [])]
  }

  broadcast(room: string, data: SendData): number {
    assertRoomName(room)
    return this.#host.broadcastFrom(this, room, toPayload(data))
  }

  broadcastJson(room: string, value: unknown): number {
    assertRoomName(room)
    return this.#host.broadcastFrom(this, room, toJsonPayload(value))
  }

  /** Delivers the events held while the handler was starting, in order, then delivers live. */
  release(): void {
    const queue = this.#queue
    if (queue === undefined) return
    this.#queue = undefined
    this.#queuedBytes = 0
    for (const item of queue) this.#emit(item)
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    const stats = this.#host.stats
    stats.messagesIn++
    stats.bytesIn += data.length
    const message = isBinary ? data : data.toString()
    if (this.#queue !== undefined) {
      this.#queuedBytes += data.length
      const limit = this.#host.maxQueuedBytes
      if (limit > 0 && this.#queuedBytes > limit) {
        if (!this.isOpen) return
        this.#host.reportError(
          this,
          new RoomcastError(
            ErrorCode.QueueOverflow,
            `Connection ${this.id} sent more than ${limit} bytes (maxQueuedBytes) before its handler was ready`,
          ),
        )
        this.close(1008, 'Message queue full')
        return
      }
    }
    this.#dispatch({ event: 'message', args: [message] })
  }

  #onClose(code: number, reason: string): void {
    this.#closed = true
    this.#host.connectionClosed(this, code, reason)
    this.#dispatch({ event: 'close', args: [code, reason] })
  }

  #dispatch(item: QueuedEvent): void {
    if (this.#queue !== undefined) this.#queue.push(item)
    else this.#emit(item)
  }

  #emit(item: QueuedEvent): void {
    const onFailure = (error: Error) => this.#host.reportError(this, error)
    // The union is correlated per item; TypeScript cannot follow it through the generic call.
    this.#listeners.emit(item.event, item.args as never, onFailure)
  }
}
