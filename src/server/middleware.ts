/** Runs the middleware chain and the route handler in order, stopping when asked to. */
import type { IncomingMessage } from 'node:http'
import { invokeHook } from '../hooks.js'
import type { Middleware, WSConnection } from '../types.js'

/**
 * Runs `middleware` then `final` for one connection. The chain stops when a
 * middleware does not call `next()` or when `stopped()` says so.
 * Failures go to `onFailure`; the returned promise never rejects and settles
 * once every step started in time has settled (a `next()` counts when it is
 * called before its middleware settles).
 */
export function runChain(
  middleware: readonly Middleware[],
  conn: WSConnection,
  request: IncomingMessage,
  final: () => unknown,
  onFailure: (error: Error) => void,
  stopped: () => boolean,
): Promise<void> {
  const dispatch = async (index: number): Promise<void> => {
    if (stopped()) return
    const step = middleware[index]
    if (step === undefined) {
      await invokeHook(final, [], onFailure)
      return
    }
    let downstream: Promise<void> | undefined
    const next = (): Promise<void> => {
      downstream ??= dispatch(index + 1)
      return downstream
    }
    await invokeHook(step, [conn, request, next], onFailure)
    await downstream
  }
  return dispatch(0)
}
