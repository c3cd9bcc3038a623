/** Connecting and letting go of node-redis clients: the first connection's deadline, and quitting. */
import type { RedisClient } from './redis-transport.js'

const quitTimeout = 1000

// Bounded exponential backoff, forever: the transport gives up only on close().
const minReconnectDelay = 50
export const maxReconnectDelay = 2000
export const reconnectStrategy = (retries: number): number =>
  Math.min(minReconnectDelay * 2 ** retries, maxReconnectDelay)

/** UNSUBSCRIBE and QUIT when connected; destroy when not, or when that hangs. */
export async function quit(
  client: RedisClient,
  polite: boolean,
  unsubscribe: boolean,
): Promise<void> {
  if (!client.isOpen) return
  if (polite && client.isReady) {
    const goodbye = (async () => {
      if (unsubscribe && client.getPubSubListeners('CHANNELS').size > 0) await client.unsubscribe()
      await client.quit()
    })()
    const done = await Promise.race([
      goodbye.then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => setTimeout(resolve, quitTimeout, false).unref()),
    ])
    if (done) return
  }
  if (client.isOpen) client.destroy()
}

/** Connects every client, or rejects after `timeout` ms naming the last error seen. */
export function connectWithin(
  clients: RedisClient[],
  timeout: number,
  lastError: () => string,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const connected = Promise.all(clients.map((client) => client.connect()))
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const why = lastError()
      reject(new Error(`could not connect to redis within ${timeout} ms${why ? `: ${why}` : ''}`))
    }, timeout)
  })
  return Promise.race([connected, expired]).finally(() => clearTimeout(timer))
}

/**
 * Commands sent on a connection roomcast may not cut (the application's own
 * client): when Redis stops answering, their callers are released at once
 * rather than when Redis comes back. The command itself stays sent.
 */
export class Releasable {
  readonly #releases = new Set<(error: Error) => void>()

  track<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#releases.add(reject)
      command.then(
        (value) => {
          this.#releases.delete(reject)
          resolve(value)
        },
        (error: unknown) => {
          this.#releases.delete(reject)
          reject(error)
        },
      )
    })
  }

  /** Rejects every command still in flight with `error`. */
  releaseAll(error: Error): void {
    for (const release of this.#releases) release(error)
    this.#releases.clear()
  }
}
