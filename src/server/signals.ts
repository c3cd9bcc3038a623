/** `wss.closeOnSignals()`: the first signal starts `shutdown()`, a second one exits at once. */
import { constants } from 'node:os'
import { logSafely } from '../hooks.js'
import { assertKnownKeys, invalid, keySet } from '../options/index.js'
import type { Logger } from '../types.js'
import { resolveShutdown, type ShutdownOptions } from './shutdown.js'

/** Options of `wss.closeOnSignals()`: which signals, what then, and `shutdown()`'s own. */
export interface SignalShutdownOptions extends ShutdownOptions {
  /** The signals that start the shutdown. @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[]
  /**
   * `true`: `process.exit(0)` once the shutdown finished, for an app whose
   * own handles (an attached http server, its timers) would keep it running.
   * `false`: the process exits on its own once nothing else holds it.
   * @default false
   */
  exit?: boolean
}

const SIGNAL_KEYS = keySet<SignalShutdownOptions>({
  signals: true,
  exit: true,
  timeout: true,
  drain: true,
  retry: true,
})

/** A process cannot listen for these: the kernel acts on them itself. */
const UNCATCHABLE: ReadonlySet<string> = new Set(['SIGKILL', 'SIGSTOP'])

interface SignalPlan {
  readonly signals: readonly NodeJS.Signals[]
  readonly exit: boolean
  readonly shutdown: ShutdownOptions
}

/** @throws {RoomcastError} `ERR_INVALID_OPTION` for an unknown key or value, naming it. */
function resolveSignals(options: SignalShutdownOptions | undefined): SignalPlan {
  const scope = 'closeOnSignals()'
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw invalid(`${scope} options`, 'an options object', options)
  }
  const { signals = ['SIGTERM', 'SIGINT'], exit = false, ...shutdown } = options ?? {}
  assertKnownKeys(options ?? {}, SIGNAL_KEYS, { object: 'closeOnSignals', scope })
  if (!Array.isArray(signals) || signals.length === 0) {
    throw invalid('signals', 'a non-empty array of signal names', signals)
  }
  for (const signal of signals) {
    if (
      typeof signal !== 'string' ||
      !Object.hasOwn(constants.signals, signal) ||
      UNCATCHABLE.has(signal)
    ) {
      throw invalid('signals', 'signal names a process can listen for, like "SIGTERM"', signal)
    }
  }
  if (typeof exit !== 'boolean') throw invalid('exit', 'a boolean', exit)
  // Checked now, not when the signal comes: a deploy is no time to learn of a typo.
  resolveShutdown(shutdown, scope)
  return { signals: [...new Set(signals)], exit, shutdown }
}

/** What the handlers need of the server. */
export interface SignalHost {
  shutdown(options: ShutdownOptions): Promise<void>
  readonly logger: Logger
}

/** The signal handlers one server installed; all removed when it has closed. */
export class ShutdownSignals {
  readonly #removers = new Set<() => void>()

  /**
   * Listens for `signals` until the server closed or the returned function is
   * called. A second signal during the shutdown exits with 128 + its number
   * (143 for SIGTERM, 130 for SIGINT), as a shell reports a death by signal.
   * @throws {RoomcastError} `ERR_INVALID_OPTION`, before any listener is added.
   */
  install(options: SignalShutdownOptions | undefined, host: SignalHost): () => void {
    const plan = resolveSignals(options)
    let received = false
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        const code = 128 + constants.signals[signal]
        logSafely(host.logger, 'warn', `roomcast: ${signal} during shutdown: exiting with ${code}`)
        process.exit(code)
      }
      received = true
      try {
        host.logger.info?.(`roomcast: ${signal}: shutting down`)
      } catch {
        // A broken logger must not stop the shutdown.
      }
      void host.shutdown(plan.shutdown).then(() => {
        remove()
        if (plan.exit) process.exit(0)
      })
    }
    const remove = () => {
      for (const signal of plan.signals) process.off(signal, onSignal)
      this.#removers.delete(remove)
    }
    for (const signal of plan.signals) process.on(signal, onSignal)
    this.#removers.add(remove)
    return remove
  }

  /** The server closed: later signals have their default effect again. */
  removeAll(): void {
    for (const remove of [...this.#removers]) remove()
  }
}
