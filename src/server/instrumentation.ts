/** What roomcast/metrics reads beyond `getStats()`, and the one hook it adds to broadcasts. @internal */
import type { Connection } from '../connection/index.js'
import type { StatsCounter } from './stats.js'

/** After a broadcast made on this server: how long delivery took (ms) and how many local connections it reached. */
export type BroadcastObserver = (durationMs: number, reached: number) => void

export interface SessionResumes {
  recovered: number
  notRecovered: number
}

export class Instrumentation {
  readonly #connections: ReadonlyMap<string, Connection>
  readonly #stats: StatsCounter
  readonly #observers = new Set<BroadcastObserver>()
  /**
   * Every observer as one function; `undefined` while there is none, so a
   * broadcast nobody observes pays one field read and no clock.
   */
  observer: BroadcastObserver | undefined

  constructor(connections: ReadonlyMap<string, Connection>, stats: StatsCounter) {
    this.#connections = connections
    this.#stats = stats
  }

  /** Open connections by route pattern; `undefined` collects those a framework's router routed. */
  connectionsByRoute(): Map<string | undefined, number> {
    const counts = new Map<string | undefined, number>()
    for (const conn of this.#connections.values()) {
      counts.set(conn.routePattern, (counts.get(conn.routePattern) ?? 0) + 1)
    }
    return counts
  }

  get sessionResumes(): SessionResumes {
    return {
      recovered: this.#stats.sessionsRecovered,
      notRecovered: this.#stats.sessionsNotRecovered,
    }
  }

  /** Calls `observer` after every broadcast until the returned function is called (idempotent). */
  observeBroadcasts(observer: BroadcastObserver): () => void {
    this.#observers.add(observer)
    this.#combine()
    return () => {
      if (this.#observers.delete(observer)) this.#combine()
    }
  }

  #combine(): void {
    const observers = [...this.#observers]
    const [only] = observers
    this.observer =
      observers.length <= 1
        ? only
        : (durationMs, reached) => {
            for (const observe of observers) observe(durationMs, reached)
          }
  }
}
