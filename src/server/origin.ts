/** Origin allowlist: exact strings, `*` wildcards and RegExps, compiled once. */
import type { OriginPattern } from '../options/index.js'

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * A `*` stands for one run of host or port characters: it never crosses `/`
 * or `:`, so `https://*.example.com` cannot match `https://evil.com:1.example.com`
 * and `http://localhost:*` accepts any port but no path.
 */
function compileWildcard(pattern: string): RegExp {
  const body = pattern.toLowerCase().split('*').map(escapeRegExp).join('[^/:]*')
  return new RegExp(`^${body}$`)
}

/**
 * Returns a predicate telling whether an `Origin` header is allowed. An empty
 * list allows everything, including a missing header; otherwise a missing
 * header is rejected. Strings compare case-insensitively (RFC 6454 §6.2).
 */
export function createOriginCheck(patterns: readonly OriginPattern[]) {
  if (patterns.length === 0) return (_origin: string | undefined) => true
  const exact = new Set<string>()
  const wildcards: RegExp[] = []
  const regexps: RegExp[] = []
  for (const pattern of patterns) {
    if (pattern instanceof RegExp) regexps.push(pattern)
    else if (pattern.includes('*')) wildcards.push(compileWildcard(pattern))
    else exact.add(pattern.toLowerCase().replace(/\/$/, ''))
  }
  return (origin: string | undefined): boolean => {
    if (origin === undefined || origin === '') return false
    const normalized = origin.toLowerCase()
    if (exact.has(normalized)) return true
    if (wildcards.some((re) => re.test(normalized))) return true
    return regexps.some((re) => {
      // A user RegExp with the g or y flag keeps state between calls; reset it.
      re.lastIndex = 0
      return re.test(origin)
    })
  }
}
