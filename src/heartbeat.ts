/** One sweep timer per server: pings every connection and terminates the silent ones. */

/** What the heartbeat needs of a connection. */
export interface HeartbeatTarget {
  readonly lastPong: number
  ping(): void
  terminate(): void
}

export interface HeartbeatOptions {
  /** Sweep period (ms). */
  interval: number
  /** A connection whose last pong is older than this (ms) is terminated. */
  timeout: number
  targets: () => Iterable<HeartbeatTarget>
}

/** A stopped heartbeat with `start()` and `stop()`, both idempotent. The timer is unref()ed. */
export function createHeartbeat(options: HeartbeatOptions): { start(): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined
  let lastSweep = 0
  const sweep = (): void => {
    if (timer === undefined) return
    const now = Date.now()
    // A sweep more than an interval late means our own event loop was blocked: pongs could
    // not be read (and pings were not sent), so silence proves nothing this time round.
    const onTime = now - lastSweep <= 2 * options.interval
    lastSweep = now
    for (const target of options.targets()) {
      if (onTime && now - target.lastPong > options.timeout) target.terminate()
      else target.ping()
    }
  }
  return {
    start() {
      if (timer !== undefined || options.interval === 0) return
      lastSweep = Date.now()
      // The timers phase runs before I/O: sweep after the poll phase, so pongs that reached
      // the kernel while the event loop was busy are read before anyone is judged silent.
      timer = setInterval(() => setImmediate(sweep), options.interval)
      timer.unref()
    },
    stop() {
      if (timer === undefined) return
      clearInterval(timer)
      timer = undefined
    },
  }
}
