/** The admin page's credential check: a bearer token or HTTP Basic, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { AdminAuth } from './options.js'

export interface CredentialCheck {
  /** `'token'`: the page asks for the token; `'basic'`: the browser asks for the password. */
  readonly mode: 'token' | 'basic'
  /** Whether the request's `Authorization` header carries the configured credentials. */
  accepts(request: IncomingMessage): boolean
  /** The `WWW-Authenticate` header of a 401 (RFC 7235 §4.1). */
  readonly challenge: string
}

const REALM = 'roomcast admin'

// Hashing first makes both sides one length, so timingSafeEqual never leaks the secret's length.
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()
const matches = (given: string, expected: Buffer) => timingSafeEqual(digest(given), expected)

/** The credentials after the scheme (case-insensitive, RFC 7235 §2.1), or `undefined`. */
function credentials(request: IncomingMessage, scheme: string): string | undefined {
  const header = request.headers.authorization
  if (header === undefined) return undefined
  const space = header.indexOf(' ')
  if (space === -1 || header.slice(0, space).toLowerCase() !== scheme) return undefined
  const value = header.slice(space + 1).trim()
  return value === '' ? undefined : value
}

export function createCredentialCheck(auth: AdminAuth): CredentialCheck {
  if ('token' in auth) {
    const token = digest(auth.token)
    return {
      mode: 'token',
      challenge: `Bearer realm="${REALM}"`,
      accepts: (request) => {
        const given = credentials(request, 'bearer')
        return given !== undefined && matches(given, token)
      },
    }
  }
  const username = digest(auth.username)
  const password = digest(auth.password)
  return {
    mode: 'basic',
    challenge: `Basic realm="${REALM}", charset="UTF-8"`,
    accepts: (request) => {
      const given = credentials(request, 'basic')
      if (given === undefined) return false
      const pair = Buffer.from(given, 'base64').toString('utf8')
      const colon = pair.indexOf(':')
      if (colon === -1) return false
      // Both compared whatever the first says, so a right user name takes no longer to refuse.
      const user = matches(pair.slice(0, colon), username)
      const pass = matches(pair.slice(colon + 1), password)
      return user && pass
    },
  }
}
