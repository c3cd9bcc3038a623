/**
 * Who a handshake belongs to: its token (`auth`), then `verifyClient` and the
 * route's `authenticate`, in order; any refusal is a 401 with the reason kept
 * for the log.
 */
import type { IncomingMessage } from 'node:http'
import type { JwtAuth, VerifiedToken } from '../auth/index.js'
import { toError } from '../errors.js'
import { logSafely } from '../hooks.js'
import { type AuthResult, assertKnownKeys, keySet } from '../options/index.js'
import type { Identity, Logger } from '../types.js'
import type { AcceptedRoute, Authenticate } from './upgrade.js'

/** `rejected` says why, for `debug: true`. */
export type Verdict =
  | { identity: Identity | undefined; token: VerifiedToken | undefined }
  | { rejected: string }
  | 'timeout'
  | 'aborted'

/**
 * Runs the auth hooks in order after the token's identity; any `false`
 * rejects, identities merge (later ones win), but no hook may name another
 * user than the token's `sub`.
 */
async function authorize(
  hooks: Array<[name: string, hook: Authenticate | undefined]>,
  request: IncomingMessage,
  token: VerifiedToken | undefined,
  seeded: Identity | undefined,
  onThrow: (name: string, error: Error) => void,
): Promise<Verdict> {
  let identity = seeded
  for (const [name, hook] of hooks) {
    if (hook === undefined) continue
    let result: AuthResult
    try {
      result = await hook(request)
    } catch (error) {
      const failure = toError(error)
      onThrow(name, failure)
      return { rejected: `${name} threw: ${failure.message}` }
    }
    if (!result) return { rejected: `${name} returned ${String(result)}` }
    if (typeof result !== 'object') continue
    try {
      // A misspelt key (`metdata`) would otherwise drop what the hook meant to give.
      assertKnownKeys(result, IDENTITY_KEYS, { object: 'identity', scope: `${name} result` })
    } catch (error) {
      const failure = toError(error)
      onThrow(name, failure)
      return { rejected: failure.message }
    }
    if (result.userId !== undefined && typeof result.userId !== 'string') {
      onThrow(name, new TypeError(`${name} returned a userId that is not a string`))
      return { rejected: `${name} returned a userId that is not a string` }
    }
    if (token !== undefined && result.userId !== undefined && result.userId !== token.userId) {
      onThrow(name, new TypeError(`${name} returned a userId other than the token's sub`))
      return { rejected: `${name} returned a userId other than the token's sub` }
    }
    identity = {
      ...identity,
      ...result,
      metadata: { ...identity?.metadata, ...result.metadata },
    }
  }
  return { identity, token }
}

const IDENTITY_KEYS = keySet<Identity>({ userId: true, metadata: true })

export interface DecisionDeps {
  /** Verifies the handshake's token: `undefined` for an anonymous one, a throw to refuse. */
  admit(auth: JwtAuth, request: IncomingMessage, search: string): Promise<VerifiedToken | undefined>
  readonly verifyClient: Authenticate | undefined
  readonly authenticate: Authenticate | undefined
  readonly logger: Logger
}

/** The token's verdict: its identity (metadata by `auth.map`), or why it was refused. */
async function admitToken(
  request: IncomingMessage,
  target: AcceptedRoute,
  deps: DecisionDeps,
): Promise<{ token: VerifiedToken | undefined; identity: Identity | undefined } | string> {
  const auth = target.entry.settings.auth
  if (auth === undefined) return { token: undefined, identity: undefined }
  let token: VerifiedToken | undefined
  try {
    token = await deps.admit(auth, request, target.search)
  } catch (error) {
    return `token refused: ${toError(error).message}`
  }
  // The token is a credential: it stays out of conn.query (request.url still holds it).
  target.search = auth.withoutToken(target.search)
  if (token === undefined) return { token, identity: undefined }
  let metadata: Record<string, unknown> | undefined
  try {
    metadata = auth.map?.(token.payload)
  } catch (error) {
    logSafely(
      deps.logger,
      'warn',
      'roomcast: auth.map threw; handshake rejected with 401',
      toError(error),
    )
    return `auth.map threw: ${toError(error).message}`
  }
  return { token, identity: { userId: token.userId, ...(metadata && { metadata }) } }
}

/** The token, then the hooks; unbounded (the pipeline bounds it by `handshakeTimeout`). */
export async function decide(
  request: IncomingMessage,
  target: AcceptedRoute,
  deps: DecisionDeps,
): Promise<Verdict> {
  const admitted = await admitToken(request, target, deps)
  if (typeof admitted === 'string') return { rejected: admitted }
  const hooks: Array<[string, Authenticate | undefined]> = [
    ['verifyClient', deps.verifyClient],
    ['authenticate', deps.authenticate],
  ]
  return authorize(hooks, request, admitted.token, admitted.identity, (name, error) =>
    logSafely(deps.logger, 'warn', `roomcast: ${name} threw; handshake rejected with 401`, error),
  )
}
