/** `debug: true`: one line per handshake, refusal, join, leave and close, through the logger. */
import type { IncomingMessage } from 'node:http'
import type { Logger } from '../types.js'

/**
 * Writes through `logger.debug`, else `info`, else `warn`. Callers check
 * `options.debug` first, so nothing is built when it is off. A logger that
 * throws is ignored, as everywhere else.
 */
export function debugLog(logger: Logger, message: string): void {
  try {
    const write = logger.debug ?? logger.info ?? logger.warn
    write.call(logger, message)
  } catch {
    // A broken logger must not break a handshake or a close.
  }
}

/** `/chat from 127.0.0.1`: which request a handshake line is about. */
export function describeRequest(request: IncomingMessage): string {
  const url = request.url ?? '/'
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  return `${path} from ${request.socket.remoteAddress ?? 'unknown address'}`
}
