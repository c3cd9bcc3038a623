/**
 * Limits per client address, before the upgrade: open connections
 * (`maxConnectionsPerIp`) and handshakes per second (`handshakeRate`), each
 * refused with 429. Behind proxies, `trustProxy` names how many hops of
 * `X-Forwarded-For` to believe.
 */
import type { IncomingMessage } from 'node:http'
import type { IpLimitOptions } from '../options/index.js'
import type { Rejection } from './handshake.js'

/** A token bucket refilled continuously: `rate` a second, at most `rate` saved. */
class Bucket {
  tokens: number
  at: number
  constructor(rate: number, now: number) {
    this.tokens = rate
    this.at = now
  }
  take(rate: number, now: number): boolean {
    this.tokens = Math.min(rate, this.tokens + ((now - this.at) / 1000) * rate)
    this.at = now
    if (this.tokens < 1) return false
    this.tokens--
    return true
  }
}

/** Buckets kept before idle ones are dropped: a flood of addresses cannot grow it without end. */
const MAX_BUCKETS = 10_000

const tooMany = (message: string): Rejection => ({
  status: 429,
  message,
  headers: { 'Retry-After': '1' },
})

export class IpLimits {
  readonly #options: IpLimitOptions
  /** Open connections and handshakes in flight, by address. */
  readonly #held = new Map<string, number>()
  readonly #buckets = new Map<string, Bucket>()
  #overall: Bucket | undefined

  constructor(options: IpLimitOptions) {
    this.#options = options
  }

  /** Whether any limit is set: without one the pipeline skips this step. */
  get active(): boolean {
    return this.#options.maxConnectionsPerIp > 0 || this.#options.handshakeRate !== undefined
  }

  /** The client's address: the socket's, or the proxies' report of it as far as they are trusted. */
  addressOf(request: IncomingMessage): string {
    const direct = request.socket.remoteAddress ?? 'unknown'
    const hops = this.#options.trustProxy
    const forwarded = request.headers['x-forwarded-for']
    if (hops === 0 || forwarded === undefined) return direct
    const chain = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
    // Each trusted proxy appended the address it saw: the entry `hops` from the end is the client.
    return chain[chain.length - hops] ?? chain[0] ?? direct
  }

  /**
   * Counts the handshake against the limits. @returns the 429 to answer, or
   * `undefined`, holding a slot (with `maxConnectionsPerIp`) until `release()`.
   */
  admit(address: string, now: number): Rejection | undefined {
    const rate = this.#options.handshakeRate
    if (rate !== undefined) {
      if (rate.perSecond > 0) {
        this.#overall ??= new Bucket(rate.perSecond, now)
        if (!this.#overall.take(rate.perSecond, now)) return tooMany('Too many handshakes')
      }
      if (rate.perIp > 0 && !this.#bucketOf(address, rate.perIp, now).take(rate.perIp, now)) {
        return tooMany('Too many handshakes from this address')
      }
    }
    const max = this.#options.maxConnectionsPerIp
    if (max === 0) return undefined
    const held = this.#held.get(address) ?? 0
    if (held >= max) return tooMany('Too many connections from this address')
    this.#held.set(address, held + 1)
    return undefined
  }

  /** Whether `admit()` holds a slot per handshake, to be released when its socket closes. */
  get holdsSlots(): boolean {
    return this.#options.maxConnectionsPerIp > 0
  }

  /** A slot `admit()` held ends: the handshake failed, or its connection closed. */
  release(address: string): void {
    const held = (this.#held.get(address) ?? 1) - 1
    if (held <= 0) this.#held.delete(address)
    else this.#held.set(address, held)
  }

  #bucketOf(address: string, rate: number, now: number): Bucket {
    let bucket = this.#buckets.get(address)
    if (bucket !== undefined) return bucket
    if (this.#buckets.size >= MAX_BUCKETS) {
      // A full bucket is an idle address: forgetting it loses nothing.
      for (const [key, old] of this.#buckets) {
        if (old.tokens + ((now - old.at) / 1000) * rate >= rate) this.#buckets.delete(key)
      }
      if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.clear()
    }
    bucket = new Bucket(rate, now)
    this.#buckets.set(address, bucket)
    return bucket
  }
}
