/** `adminHandler()` options: their types and defaults, checked once before the handler exists. */
import { ErrorCode, RoomcastError } from '../errors.js'
import { assertKnownKeys, count, invalid, keySet } from '../options/index.js'

/** A bearer token (`Authorization: Bearer <token>`), which the page asks for and keeps per tab. */
export interface AdminTokenAuth {
  token: string
}

/** HTTP Basic: the browser asks for the user name and password itself. */
export interface AdminBasicAuth {
  username: string
  password: string
}

export type AdminAuth = AdminTokenAuth | AdminBasicAuth

export interface AdminOptions {
  /** Who may use the page and its API. Required: an admin page without protection cannot be made. */
  auth: AdminAuth
  /** Where the page is served; its JSON API lives under `${path}/api/`. @default '/admin' */
  path?: string
  /**
   * How often the page refreshes, in ms; message rates are averaged over at
   * least half of it. @default 1000
   */
  refreshInterval?: number
  /** Most connections, rooms and members per room one overview lists; figures count them all. @default 500 */
  listLimit?: number
  /**
   * Origins allowed to POST besides the request's own host (`https://ops.example.com`), for a
   * proxy that rewrites `Host`. @default []
   */
  allowedOrigins?: readonly string[]
}

export interface ResolvedAdminOptions {
  auth: AdminAuth
  path: string
  refreshInterval: number
  listLimit: number
  /** Lower-cased, without a trailing slash. */
  allowedOrigins: ReadonlySet<string>
}

const DEFAULTS = {
  path: '/admin',
  refreshInterval: 1000,
  listLimit: 500,
} satisfies Partial<AdminOptions>

const OPTION_KEYS = keySet<AdminOptions>({
  auth: true,
  path: true,
  refreshInterval: true,
  listLimit: true,
  allowedOrigins: true,
})
const TOKEN_KEYS = keySet<AdminTokenAuth>({ token: true })
const BASIC_KEYS = keySet<AdminBasicAuth>({ username: true, password: true })
const AUTH_FORMS = '{ token } or { username, password }'

/** Segments of unreserved and sub-delim characters: a path that needs no escaping to compare. */
const PATH = /^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/
const ORIGIN = /^https?:\/\/[^/?#\s]+$/i

/**
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for a missing or malformed
 * `auth`, an unknown key, or a value out of range.
 */
export function resolveAdminOptions(options: AdminOptions): ResolvedAdminOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('adminHandler', `an options object with auth: ${AUTH_FORMS}`, options)
  }
  refuseUnknownKeys(options, OPTION_KEYS, '')
  const path = options.path ?? DEFAULTS.path
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw invalid('path', "a path below the root without a trailing slash, such as '/admin'", path)
  }
  const refreshInterval = count(
    'refreshInterval',
    options.refreshInterval,
    { min: 10, max: 3_600_000 },
    DEFAULTS.refreshInterval,
  )
  const listLimit = count(
    'listLimit',
    options.listLimit,
    { min: 1, max: 100_000 },
    DEFAULTS.listLimit,
  )
  return {
    auth: resolveAuth(options.auth),
    path,
    refreshInterval,
    listLimit,
    allowedOrigins: resolveOrigins(options.allowedOrigins ?? []),
  }
}

function resolveAuth(auth: unknown): AdminAuth {
  if (typeof auth !== 'object' || auth === null) {
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      `adminHandler: an admin page needs auth: ${AUTH_FORMS}; it is never served unprotected`,
    )
  }
  if ('token' in auth && ('username' in auth || 'password' in auth)) {
    throw new RoomcastError(
      ErrorCode.InvalidOption,
      `adminHandler: auth takes ${AUTH_FORMS}, not both`,
    )
  }
  if (!('token' in auth || 'username' in auth || 'password' in auth)) {
    // Neither form: name the key that was probably meant (`tokn` → `token`).
    refuseUnknownKeys(auth, new Set([...TOKEN_KEYS, ...BASIC_KEYS]), 'auth.')
    throw invalid('auth', AUTH_FORMS, JSON.stringify(auth))
  }
  if ('token' in auth) {
    refuseUnknownKeys(auth, TOKEN_KEYS, 'auth.')
    const { token } = auth
    if (typeof token !== 'string' || token.trim() === '') {
      throw invalid('auth.token', 'a non-empty string', token)
    }
    return { token }
  }
  refuseUnknownKeys(auth, BASIC_KEYS, 'auth.')
  const { username, password } = auth as Partial<Record<string, unknown>>
  // RFC 7617 §2: the user-id cannot contain a colon, the first colon ends it.
  if (typeof username !== 'string' || username === '' || username.includes(':')) {
    throw invalid('auth.username', 'a non-empty string without ":"', username)
  }
  if (typeof password !== 'string' || password === '') {
    throw invalid('auth.password', 'a non-empty string', password)
  }
  return { username, password }
}

function resolveOrigins(origins: unknown): ReadonlySet<string> {
  if (!Array.isArray(origins) || origins.some((o) => typeof o !== 'string' || !ORIGIN.test(o))) {
    throw invalid(
      'allowedOrigins',
      "an array of origins such as 'https://ops.example.com'",
      origins,
    )
  }
  return new Set(origins.map((origin: string) => origin.toLowerCase()))
}

function refuseUnknownKeys(object: object, known: ReadonlySet<string>, path: string): void {
  assertKnownKeys(object, known, { object: 'adminHandler', scope: 'adminHandler', path })
}
