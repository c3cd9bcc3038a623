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
  const sweep = (): void => {
    const now = Date.now()
    for (const target of options.targets()) {
      if (now - target.lastPong > options.timeout) target.terminate()
      else target.ping()
    }
  }
  return {
    start() {
      if (timer !== undefined || options.interval === 0) return
      timer = setInterval(sweep, options.interval)
      timer.unref()
    },
    stop() {
      if (timer === undefined) return
      clearInterval(timer)
      timer = undefined
    },
  }
}
