/** The reconnecting client: one connection at a time, its lifecycle, and what goes in and out of it. */
import type { Contract, SpecData, SpecReply } from '../message/contract.js'
import { checkCloseCode, closeReason } from './close-args.js'
import { ClientError, ClientErrorCode } from './errors.js'
import { type ClientEvents, type ClientState, EVENT_NAMES, type MessageListener } from './events.js'
import { Inbound, type SessionHeader } from './inbound.js'
import { Listeners } from './listeners.js'
import {
  type ClientOptions,
  type RequestOptions,
  type ResolvedOptions,
  resolveOptions,
  type SendOptions,
} from './options.js'
import type { PushHandler } from './push-handlers.js'
import { type Advice, nextStep } from './reconnect-policy.js'
import { PendingRequests } from './requests.js'
import { type BufferEntry, SendBuffer } from './send-buffer.js'
import { OPEN, type WebSocketLike } from './socket.js'
import { TokenRefresh } from './token-refresh.js'
import { handshakeUrl, serverUrl } from './url.js'

/** The contract of a client created without one: every type and action, `unknown` data and reply. */
export type UntypedContract = Record<string, Record<string, { data?: unknown; reply?: unknown }>>

/** The listeners of one room, for rooms whose name is also an event name (`client.room('open')`). */
export interface RoomListeners {
  on(listener: MessageListener): RoomListeners
  off(listener: MessageListener): RoomListeners
}

/** A roomcast client; made by {@link createClient}, which documents it. */
export class RoomcastClient<C extends Contract<C> = UntypedContract> {
  readonly #options: ResolvedOptions
  readonly #url: URL
  readonly #events = new Listeners()
  readonly #inbound = new Inbound({
    isOpen: () => this.#state === 'open',
    opened: (session) => this.#opened(session),
    advised: (advice) => {
      this.#advice = advice
    },
    settle: (message) => this.#requests.settle(message),
    pushed: (message) => this.#tokens?.pushed(message),
    emitMessage: (body, meta) => this.#emit('message', body, meta),
    listenerFailed: (error) => this.#listenerFailed(error),
    protocolError: (reason) =>
      this.#emit('error', new ClientError(ClientErrorCode.Protocol, reason)),
  })
  readonly #requests: PendingRequests
  readonly #buffer: SendBuffer | undefined
  readonly #tokens: TokenRefresh | undefined
  readonly #done: Promise<void>
  #markDone: () => void = () => {}
  #state: ClientState = 'connecting'
  #socket: WebSocketLike | undefined
  #session: { readonly id: string; readonly conn: string } | undefined
  #attempt = 0
  #advice: Advice | undefined
  #timer: unknown
  #byApplication = false
  #finished = false

  /** @throws {TypeError} for an invalid URL or option; see {@link createClient}. */
  constructor(url: string | URL, options: ClientOptions = {}) {
    this.#options = resolveOptions(options)
    this.#url = serverUrl(url)
    this.#requests = new PendingRequests(this.#options.clock)
    this.#buffer = this.#options.buffer === false ? undefined : new SendBuffer(this.#options.buffer)
    const { token: provider, clock } = this.#options
    this.#tokens =
      provider === undefined
        ? undefined
        : new TokenRefresh({
            clock,
            provider,
            requests: this.#requests,
            // Volatile: a refresh belongs to the connection it is sent on, so it is never buffered.
            refresh: (token) => this.#request('system', 'refresh', { token }, 10_000, true),
            failed: (error) => {
              if (!this.#byApplication) this.#emit('error', error)
            },
          })
    this.#done = new Promise((resolve) => {
      this.#markDone = resolve
    })
    // A microtask later, so listeners added right after createClient() see `connecting`.
    queueMicrotask(() => void this.#dial())
  }

  /** Where the client is in its lifecycle. */
  get state(): ClientState {
    return this.#state
  }

  /**
   * Adds a listener for an event of {@link ClientEvents} or, for any other
   * name, for the messages of that room; a room named like an event
   * (`'open'`, `'message'`…) is reached with `room(name).on(listener)`.
   */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this
  on(room: string, listener: MessageListener): this
  on(name: string, listener: (...args: never[]) => void): this {
    ;(EVENT_NAMES.has(name) ? this.#events : this.#inbound.rooms).add(name, listener)
    return this
  }

  /** Removes a listener added with `on()`. */
  off<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): this
  off(room: string, listener: MessageListener): this
  off(name: string, listener: (...args: never[]) => void): this {
    ;(EVENT_NAMES.has(name) ? this.#events : this.#inbound.rooms).remove(name, listener)
    return this
  }

  /** The listeners of room `name`, whatever it is called: the way to a room named like an event. */
  room(name: string): RoomListeners {
    const rooms = this.#inbound.rooms
    const listeners: RoomListeners = {
      on(listener) {
        rooms.add(name, listener)
        return listeners
      },
      off(listener) {
        rooms.remove(name, listener)
        return listeners
      },
    }
    return listeners
  }

  /**
   * Handles pushes of `type` + `action` (they are also emitted as `message`).
   * Returns the function that removes the handler.
   * @throws {TypeError} when that `type` + `action` already has a handler.
   */
  handle(type: string, action: string, handler: PushHandler): () => void {
    return this.#inbound.pushes.add(type, action, handler)
  }

  /**
   * Sends now when open, else holds it in the offline buffer. `false` when it
   * was dropped: closed, buffering off, or `volatile` while not open.
   */
  send(data: string | ArrayBuffer | ArrayBufferView, options: SendOptions = {}): boolean {
    return this.#write({ data, heldAt: 0 }, options.volatile === true)
  }

  /** `send(JSON.stringify(value), options)`. */
  json(value: unknown, options: SendOptions = {}): boolean {
    return this.send(JSON.stringify(value), options)
  }

  /**
   * Sends `{ type, action, data, requestId }` and resolves with the reply's
   * `data`. Rejects with a `RequestError` (the server's `code`) for an error
   * reply, or a `ClientError`: `ERR_TIMEOUT`, `ERR_CLOSED`, `ERR_NOT_OPEN`
   * (disconnected with `buffer: false`), `ERR_DROPPED` (left the buffer unsent).
   * @throws {TypeError} for a `timeout` that is not a positive number.
   */
  request<T extends keyof C & string, A extends keyof C[T] & string>(
    type: T,
    action: A,
    data: SpecData<C[T][A]>,
    options: RequestOptions = {},
  ): Promise<SpecReply<C[T][A]>> {
    const timeout = options.timeout ?? 10_000
    if (typeof timeout !== 'number' || !(timeout > 0)) {
      throw new TypeError('request: "timeout" must be a positive number')
    }
    if (this.#state === 'closed') return Promise.reject(closedError())
    return this.#request(type, action, data, timeout, false).reply as Promise<SpecReply<C[T][A]>>
  }

  /** Opens a request and writes it (`volatile`: only on the open connection), or fails it at once. */
  #request(
    type: string,
    action: string,
    data: unknown,
    timeout: number,
    volatile: boolean,
  ): { id: string; reply: Promise<unknown> } {
    const { id, reply } = this.#requests.open(timeout)
    const entry: BufferEntry = {
      data: JSON.stringify({ type, action, data, requestId: id }),
      heldAt: 0,
      onDrop: () =>
        this.#requests.fail(id, new ClientError(ClientErrorCode.Dropped, 'Dropped unsent')),
      wanted: () => this.#requests.has(id),
    }
    if (!this.#write(entry, volatile)) {
      this.#requests.fail(id, new ClientError(ClientErrorCode.NotOpen, 'Not connected'))
    }
    return { id, reply }
  }

  /**
   * Closes for good: no reconnect follows, pending requests reject with
   * `ERR_CLOSED`, buffered sends are dropped. `state` is `closed` at once; the
   * promise resolves after the `closed` event. Idempotent.
   * @throws {TypeError} for a code other than 1000 or 3000–4999.
   */
  close(code = 1000, reason = ''): Promise<void> {
    if (this.#byApplication || this.#finished) return this.#done
    checkCloseCode(code)
    this.#byApplication = true
    this.#state = 'closed'
    if (this.#timer !== undefined) this.#options.clock.clear(this.#timer)
    // Before failAll: a refresh in flight is then the ended connection's, not one to retry.
    this.#tokens?.stop()
    this.#requests.failAll(closedError())
    this.#buffer?.clear()
    if (this.#socket === undefined) this.#finish(code, closeReason(reason))
    else this.#socket.close(code, closeReason(reason))
    return this.#done
  }

  /** Sends when open, or buffers unless `volatile`; `false` when dropped. */
  #write(entry: BufferEntry, volatile: boolean): boolean {
    if (this.#state === 'closed') return false
    const socket = this.#socket
    if (this.#state === 'open' && socket?.readyState === OPEN) {
      socket.send(entry.data)
      return true
    }
    if (volatile || this.#buffer === undefined) return false
    this.#buffer.push({ ...entry, heldAt: this.#options.clock.now() })
    return true
  }

  /** One connection attempt: the `connecting` event, the token, the socket. */
  async #dial(): Promise<void> {
    if (this.#state === 'closed') return
    this.#timer = undefined
    this.#advice = undefined
    this.#emit('connecting', { attempt: this.#attempt })
    let url: string
    try {
      url = await this.#handshakeUrl()
    } catch (error) {
      if (this.#byApplication) return
      this.#emit('error', new ClientError(ClientErrorCode.Token, 'token failed', { cause: error }))
      this.#lost(1006, '')
      return
    }
    // close() may have come while the token was awaited; it has finished on its own.
    if (this.#byApplication) return
    const { WebSocket, protocols } = this.#options
    let socket: WebSocketLike
    try {
      socket = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols)
    } catch (error) {
      // The implementation refused its arguments: every retry would fail the same way.
      this.#emit('error', error instanceof Error ? error : new Error(String(error)))
      this.#finish(1006, '')
      return
    }
    socket.binaryType = 'arraybuffer'
    socket.addEventListener('message', (event) => {
      if (this.#socket === socket && !this.#byApplication) this.#inbound.receive(event.data)
    })
    socket.addEventListener('error', (event) => {
      if (this.#socket !== socket || this.#byApplication) return
      const message = event.message || 'WebSocket error'
      this.#emit('error', new ClientError(ClientErrorCode.Socket, message, { cause: event.error }))
    })
    socket.addEventListener('close', (event) => {
      if (this.#socket === socket) this.#lost(event.code, event.reason)
    })
    this.#socket = socket
  }

  async #handshakeUrl(): Promise<string> {
    const value = await this.#tokens?.forAttempt()
    return handshakeUrl(this.#url, {
      session: this.#session?.id,
      positions: this.#inbound.positions.toJSON(),
      token: value === undefined ? undefined : [this.#options.tokenParam, value],
    })
  }

  /** A connection or attempt ended: reconnect, or finish. */
  #lost(code: number, reason: string): void {
    this.#socket = undefined
    this.#tokens?.stop()
    const step = nextStep(
      {
        code,
        byApplication: this.#byApplication,
        advice: this.#advice,
        attempt: this.#attempt + 1,
      },
      this.#options,
    )
    if (step.final) {
      this.#finish(code, reason)
      return
    }
    this.#attempt += 1
    this.#state = 'reconnecting'
    // Scheduled before the events, so a listener's close() finds the timer to clear.
    this.#timer = this.#options.clock.set(() => void this.#dial(), step.delay)
    this.#emit('closed', { code, reason, final: false })
    if (this.#state === 'reconnecting') {
      this.#emit('reconnecting', { attempt: this.#attempt, delay: step.delay })
    }
  }

  #finish(code: number, reason: string): void {
    if (this.#finished) return
    this.#finished = true
    this.#state = 'closed'
    this.#socket = undefined
    this.#requests.failAll(closedError())
    this.#buffer?.clear()
    this.#emit('closed', { code, reason, final: true })
    this.#markDone()
  }

  #opened(session: SessionHeader | undefined): void {
    const recovered = session?.recovered === true
    this.#session = session === undefined ? undefined : { id: session.id, conn: session.conn }
    this.#attempt = 0
    this.#state = 'open'
    this.#tokens?.start()
    // Before `open`: what was sent while disconnected goes ahead of what its listeners send.
    this.#buffer?.flush(this.#options.clock.now(), (data) => this.#socket?.send(data))
    this.#emit('open', { recovered, sessionId: session?.id, connectionId: session?.conn })
    if (session !== undefined && recovered) {
      this.#emit('recovered', { sessionId: session.id, connectionId: session.conn })
    }
  }

  #emit<E extends keyof ClientEvents>(event: E, ...args: Parameters<ClientEvents[E]>): void {
    this.#events.emit(event, args, (error) =>
      event === 'error' ? rethrowLater(error) : this.#listenerFailed(error),
    )
  }

  /** A listener's or handler's failure is a bug: `error` listeners get it, else it is rethrown. */
  #listenerFailed(error: unknown): void {
    if (this.#events.has('error')) {
      this.#emit('error', error instanceof Error ? error : new Error(String(error)))
    } else rethrowLater(error)
  }
}

/** Reports an error nobody can take, as `reportError` would: out of the current call stack. */
function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}

function closedError(): ClientError {
  return new ClientError(ClientErrorCode.Closed, 'The client is closed')
}

/**
 * Opens a reconnecting roomcast client to `url`. It starts connecting at once
 * (a microtask later, so listeners added right after see `connecting`), as a
 * WebSocket would; after a final close it stays closed: create another.
 *
 * Sends made while disconnected wait in a buffer and go out in order on the
 * next open; a lost connection reconnects with backoff (or as the server
 * advises), resuming the session, its rooms and missed messages when the
 * server still has them, and dropping what was already seen. Events:
 * `connecting`, `open`, `reconnecting`, `closed`, `recovered`, `message`,
 * `error`; any other name passed to `on()` is a room (`room(name)` reaches a
 * room named like an event). Binary messages arrive as ArrayBuffers.
 *
 * @throws {TypeError} for an invalid URL, an unknown option or a bad value, naming it.
 * @example
 * import { createClient } from 'roomcast/client'
 *
 * interface Chat { chat: { send: { data: { text: string }; reply: { id: number } } } }
 * const client = createClient<Chat>('wss://example.com/chat', {
 *   token: () => fetchToken(),
 *   reconnect: { initialDelay: 1000, maxAttempts: 5 },
 * })
 * client.on('open', ({ recovered }) => console.log(recovered ? 'resumed' : 'fresh'))
 * client.on('lobby', (data) => console.log('lobby:', data))
 * const { id } = await client.request('chat', 'send', { text: 'hi' })
 */
export function createClient<C extends Contract<C> = UntypedContract>(
  url: string | URL,
  options: ClientOptions = {},
): RoomcastClient<C> {
  return new RoomcastClient<C>(url, options)
}
