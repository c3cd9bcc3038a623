/**
 * The server's one sweep timer: heartbeat pings, silent-client termination,
 * inactivity and lifetime limits, and deadlines kept by time (token expiry).
 * Never a timer per connection.
 */
import { CloseCode } from '../close-codes.js'
import { fromEpoch } from '../connection/clock.js'

/** How one route's connections are kept alive and bounded; shared by all of them. */
export interface LivenessPolicy {
  /** Ping this often (ms); 0 sends no pings. */
  readonly pingInterval: number
  /** Terminate when the last pong is older than this (ms); 0 counts missed pongs instead. */
  readonly clientTimeout: number
  /** With `clientTimeout` 0: terminate after this many consecutive unanswered pings. */
  readonly missedPongLimit: number
  /** Close after this long (ms) without a message from the client; 0 = never. */
  readonly inactivityTimeout: number
  /** Close this long (ms) after opening; 0 = never. */
  readonly maxLifetime: number
}

/** What the sweep needs of a connection; its times are on the connection clock (connection/clock.ts). */
export interface SweepTarget {
  readonly liveness: LivenessPolicy
  readonly isAlive: boolean
  readonly pongTime: number
  readonly activityTime: number
  readonly openTime: number
  nextPingTime: number
  missedPongs: number
  ping(): void
  terminate(): void
  close(code: number, reason: string): void
}

export interface Sweep {
  /** Makes the sweep run at least every `period` ms (a route with a shorter limit lowers it). */
  require(period: number): void
  /**
   * Calls `tick(now)` every `resolution` ms as well, on the same timer; the
   * walk over connections still runs only once per sweep period.
   */
  onTick(resolution: number, tick: (now: number) => void): void
  start(): void
  stop(): void
}

/** Shortest useful sweep period: below it a sweep costs more than the precision it buys. */
const MIN_PERIOD = 10

/** The sweep period a policy needs: its ping interval, and a quarter of each time limit. */
export function periodFor(policy: LivenessPolicy): number {
  const candidates = [
    policy.pingInterval,
    Math.ceil(policy.inactivityTimeout / 4),
    Math.ceil(policy.maxLifetime / 4),
  ].filter((p) => p > 0)
  return candidates.length === 0 ? 0 : Math.max(MIN_PERIOD, Math.min(...candidates))
}

export const InactivityClose = { code: CloseCode.GoingAway, reason: 'Inactivity timeout' } as const
export const LifetimeClose = { code: CloseCode.Normal, reason: 'Maximum lifetime reached' } as const

function sweepOne(target: SweepTarget, now: number, period: number, onTime: boolean): void {
  const policy = target.liveness
  if (policy.maxLifetime > 0 && now - target.openTime >= policy.maxLifetime) {
    target.close(LifetimeClose.code, LifetimeClose.reason)
    return
  }
  // A late sweep means messages and pongs may sit unread in the kernel: judge nobody silent.
  if (!onTime) {
    if (policy.pingInterval > 0 && now + period / 2 >= target.nextPingTime) {
      target.nextPingTime = now + policy.pingInterval
      target.ping()
    }
    return
  }
  if (policy.inactivityTimeout > 0 && now - target.activityTime > policy.inactivityTimeout) {
    target.close(InactivityClose.code, InactivityClose.reason)
    return
  }
  if (policy.pingInterval === 0 || now + period / 2 < target.nextPingTime) return
  target.nextPingTime = now + policy.pingInterval
  if (policy.clientTimeout > 0) {
    if (now - target.pongTime > policy.clientTimeout) target.terminate()
    else target.ping()
    return
  }
  target.missedPongs = target.isAlive ? 0 : target.missedPongs + 1
  if (target.missedPongs >= policy.missedPongLimit) target.terminate()
  else target.ping()
}

/** A stopped sweep; `start()` and `stop()` are idempotent and the timer is unref()ed. */
export function createSweep(targets: () => Iterable<SweepTarget>): Sweep {
  let timer: NodeJS.Timeout | undefined
  let period = 0
  let lastSweep = 0
  let tick: ((now: number) => void) | undefined
  let resolution = 0
  /** The timer's interval: the sweep period, or the tick resolution when finer. */
  const interval = () =>
    period === 0 ? resolution : resolution === 0 ? period : Math.min(period, resolution)
  const sweep = (): void => {
    if (timer === undefined) return
    const now = Date.now()
    tick?.(now)
    if (period === 0) return
    // Ticking finer than the period: walk once the period has (nearly) passed.
    const elapsed = now - lastSweep
    if (elapsed + interval() / 2 < period) return
    // A sweep more than a period late means our own event loop was blocked.
    const onTime = elapsed <= 2 * period
    lastSweep = now
    const time = fromEpoch(now)
    for (const target of targets()) sweepOne(target, time, period, onTime)
  }
  const arm = (): void => {
    lastSweep = Date.now()
    // The timers phase runs before I/O: sweep after the poll phase, so pongs and messages
    // that reached the kernel while the event loop was busy are read before anyone is judged.
    timer = setInterval(() => setImmediate(sweep), interval())
    timer.unref()
  }
  const rearm = (): void => {
    if (timer === undefined) return
    clearInterval(timer)
    arm()
  }
  return {
    require(needed) {
      if (needed <= 0 || (period > 0 && needed >= period)) return
      period = needed
      rearm()
    },
    onTick(every, callback) {
      tick = callback
      resolution = every
      rearm()
    },
    start() {
      if (timer === undefined && interval() > 0) arm()
    },
    stop() {
      if (timer === undefined) return
      clearInterval(timer)
      timer = undefined
    },
  }
}
