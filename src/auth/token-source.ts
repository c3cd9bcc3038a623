/**
 * Where a handshake carries its token: `query:<name>`, `header:<name>`
 * (`authorization` takes a Bearer token), `cookie:<name>` or `protocol`
 * (a `Sec-WebSocket-Protocol` entry, the one header a browser can set).
 */
import type { IncomingMessage } from 'node:http'
import { invalid } from '../options/checks.js'

export type TokenSource = `query:${string}` | `header:${string}` | `cookie:${string}` | 'protocol'

/** Reads a token from the upgrade request and its query string (without `?`). */
type Reader = (request: IncomingMessage, search: string) => string | undefined

/**
 * A compact JWS: three base64url parts, the first a JSON object (`eyJ` is
 * `{"`), which no subprotocol name is (`wamp.2.json` is dotted, but not that).
 */
const COMPACT_JWS = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

const nonEmpty = (value: string | undefined) =>
  value === undefined || value === '' ? undefined : value

function headerReader(name: string): Reader {
  const header = name.toLowerCase()
  if (header === 'authorization') {
    return (request) => {
      const value = request.headers.authorization
      const match = value === undefined ? null : /^Bearer[ \t]+(\S+)\s*$/i.exec(value)
      return match?.[1]
    }
  }
  return (request) => {
    const value = request.headers[header]
    return nonEmpty(Array.isArray(value) ? value[0] : value)
  }
}

function cookieReader(name: string): Reader {
  return (request) => {
    const cookies = request.headers.cookie
    if (cookies === undefined) return undefined
    for (const pair of cookies.split(';')) {
      const eq = pair.indexOf('=')
      if (eq === -1 || pair.slice(0, eq).trim() !== name) continue
      const value = pair.slice(eq + 1).trim()
      try {
        return nonEmpty(decodeURIComponent(value))
      } catch {
        return undefined
      }
    }
    return undefined
  }
}

const protocolReader: Reader = (request) => {
  const offered = request.headers['sec-websocket-protocol']
  if (offered === undefined) return undefined
  return offered
    .split(',')
    .map((entry) => entry.trim())
    .find((entry) => COMPACT_JWS.test(entry))
}

function reader(source: unknown): Reader {
  if (source === 'protocol') return protocolReader
  const colon = typeof source === 'string' ? source.indexOf(':') : -1
  const kind = colon === -1 ? '' : (source as string).slice(0, colon)
  const name = colon === -1 ? '' : (source as string).slice(colon + 1)
  if (name !== '') {
    if (kind === 'query')
      return (_request, search) => nonEmpty(new URLSearchParams(search).get(name) ?? undefined)
    if (kind === 'header') return headerReader(name)
    if (kind === 'cookie') return cookieReader(name)
  }
  throw invalid(
    'jwt.tokenFrom',
    "'query:<name>', 'header:<name>', 'cookie:<name>' or 'protocol'",
    source,
  )
}

/** Where the tokens are: one reader over the sources, and the query parameters among them. */
export interface TokenSources {
  /** The first source, in order, that holds a token gives it. */
  read: Reader
  /** Query parameters that carry tokens: kept out of `conn.query`. */
  queryParams: readonly string[]
}

/** @throws {RoomcastError} `ERR_INVALID_OPTION` for a malformed source. */
export function tokenSources(
  sources: TokenSource | readonly TokenSource[] | undefined,
): TokenSources {
  const list: readonly unknown[] =
    sources === undefined ? ['query:token'] : Array.isArray(sources) ? sources : [sources]
  if (list.length === 0) throw invalid('jwt.tokenFrom', 'at least one source', '[]')
  const readers = list.map(reader)
  const queryParams = list.flatMap((source) =>
    typeof source === 'string' && source.startsWith('query:') ? [source.slice(6)] : [],
  )
  const read: Reader =
    readers.length === 1
      ? (readers[0] as Reader)
      : (request, search) => {
          for (const readOne of readers) {
            const token = readOne(request, search)
            if (token !== undefined) return token
          }
          return undefined
        }
  return { read, queryParams }
}

/** `search` without the parameters in `names` (as written, when it has none of them). */
export function withoutParams(search: string, names: readonly string[]): string {
  if (names.length === 0 || search === '') return search
  const query = new URLSearchParams(search)
  if (!names.some((name) => query.has(name))) return search
  for (const name of names) query.delete(name)
  return query.toString()
}
