/**
 * A connection's way out: frames into the write batch (or through `ws` when
 * it compresses for this connection alone), flow control by the server's
 * policy, and the moment unsent data drains.
 */
import type { Socket } from 'node:net'
import type { Payload } from '../fanout/index.js'
import { ConnectionListeners } from './connection-listeners.js'
import type { ConnectionSocket } from './connection-socket.js'
import type { ConnectionHost, ConnectionSettings } from './host.js'
import { SendStatus } from './send-status.js'
import { rawSocketOf, serverWindowBitsOf } from './ws-internals.js'

/**
 * The writing half of a connection. A base class rather than an object the
 * connection holds: with ten thousand idle connections, a second object
 * (and the socket, host and settings held twice) is memory for nothing.
 * The write batch's BatchedSocket, by members the declarations leave out.
 */
export abstract class SocketWriter extends ConnectionListeners {
  /** @internal The TCP socket under ws. */
  readonly tcpSocket: Socket
  /** @internal Bytes the write batch holds for this socket; -1 when not corked. */
  corkedBytes = -1
  /** @internal ws's socket; kept out of the declarations so they never name `ws`. */
  protected readonly socket: ConnectionSocket
  protected readonly host: ConnectionHost
  protected readonly settings: ConnectionSettings
  /**
   * How frames are made: `0` pre-built plain frames (no deflate negotiated);
   * `> 0` shared deflated frames for that window size; `-1` through ws, which
   * compresses for this connection alone.
   */
  readonly #deflateBits: number
  #awaitingDrain = false

  /** @internal */
  constructor(socket: ConnectionSocket, host: ConnectionHost, settings: ConnectionSettings) {
    super()
    this.tcpSocket = rawSocketOf(socket)
    this.socket = socket
    this.host = host
    this.settings = settings
    const bits = serverWindowBitsOf(socket)
    // zlib turns an 8-bit raw deflate window into 9 bits, too wide for such a peer: let ws do it.
    const shared = settings.compression === 'shared' && bits !== undefined && bits > 8
    this.#deflateBits = bits === undefined ? 0 : shared ? bits : -1
  }

  /** Unsent data fell back to zero after passing half of `maxBackpressure`. */
  protected abstract drained(): void

  /** A message would pass `maxBackpressure` under policy `'close'`. */
  protected abstract overflowed(): void

  /** Bytes queued but not yet handed to the kernel. */
  get bufferedAmount(): number {
    // Unless ws compresses for this connection, nothing waits in its sender.
    return this.#deflateBits >= 0 ? this.tcpSocket.writableLength : this.socket.bufferedAmount
  }

  /**
   * Writes an encoded payload and says what became of it. `coalesce` holds it
   * in the write batch until the I/O phase ends (broadcasts); otherwise it
   * goes to the kernel at once, as `ws` would send it, unless the batch
   * already holds earlier bytes for this socket (order comes first).
   */
  protected writeFrame(payload: Payload, volatile: boolean, coalesce = true): SendStatus {
    const host = this.host
    // Bytes written since the last flush are held on purpose (coalescing), not by a slow
    // client: only what earlier flushes left unsent measures backpressure.
    const carried = this.bufferedAmount - Math.max(0, this.corkedBytes)
    if (volatile && carried > 0) return this.drop()
    const after = carried + payload.data.length
    // A message larger than the limit still goes out on a connection with nothing carried.
    if (carried > 0 && after > host.maxBackpressure) return this.overLimit()
    const bits = this.#deflateBits
    if (bits < 0) this.socket.send(payload.data, { binary: payload.binary })
    else {
      const frame =
        bits === 0 ? payload.frame : payload.deflatedFrame(bits, this.settings.deflateThreshold)
      if (coalesce || this.corkedBytes >= 0) host.writes.write(this, frame)
      else this.tcpSocket.write(frame)
    }
    host.stats.messagesOut++
    host.stats.bytesOut += payload.data.length
    if (after <= host.maxBackpressure / 2) return SendStatus.Sent
    if (this.tcpSocket.writableNeedDrain) this.awaitDrain()
    return SendStatus.Buffered
  }

  // `private`, not `#private`: see Connection.
  private drop(): SendStatus {
    this.host.stats.messagesDropped++
    return SendStatus.Dropped
  }

  private overLimit(): SendStatus {
    if (this.host.backpressurePolicy === 'drop') return this.drop()
    this.host.stats.closedForBackpressure++
    this.overflowed()
    return SendStatus.Closed
  }

  /** Tells `drained()` once the socket has written everything out. */
  private awaitDrain(): void {
    if (this.#awaitingDrain) return
    this.#awaitingDrain = true
    this.tcpSocket.once('drain', () => {
      this.#awaitingDrain = false
      this.drained()
    })
  }
}
