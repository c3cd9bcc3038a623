/** Path patterns (static, `:param`, `*`) and a table that picks the most specific match. Pure. */
import { ErrorCode, RoomcastError } from '../errors.js'

type Segment =
  | { kind: 'static'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'wildcard' }

/** Lower ranks are more specific; a pattern that has ended beats a `*` that matches nothing. */
const rank = { end: 0, static: 1, param: 2, wildcard: 3 } as const

interface CompiledRoute<T> {
  pattern: string
  /** Shape of the pattern with parameter names erased: `/a/:` for `/a/:id`. */
  shape: string
  segments: Segment[]
  value: T
}

export interface RouteMatch<T> {
  value: T
  pattern: string
  params: Record<string, string>
}

/** Splits a path into decoded segments; `undefined` when percent-encoding is malformed. */
export function splitPath(path: string): string[] | undefined {
  const segments = path.split('/').filter((s) => s !== '')
  try {
    return segments.map((s) => (s.includes('%') ? decodeURIComponent(s) : s))
  } catch {
    return undefined
  }
}

function compile(pattern: string): Segment[] {
  if (typeof pattern !== 'string' || pattern === '') {
    throw new RoomcastError(ErrorCode.InvalidRoute, `Route pattern must be a non-empty string`)
  }
  const normalized = pattern === '*' ? '/*' : pattern
  if (!normalized.startsWith('/')) {
    throw new RoomcastError(ErrorCode.InvalidRoute, `Route "${pattern}" must start with "/"`)
  }
  const parts = normalized.split('/').filter((s) => s !== '')
  return parts.map((part, i): Segment => {
    if (part === '*') {
      if (i !== parts.length - 1) {
        throw new RoomcastError(ErrorCode.InvalidRoute, `Route "${pattern}": "*" must come last`)
      }
      return { kind: 'wildcard' }
    }
    if (part.startsWith(':')) {
      const name = part.slice(1)
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
        throw new RoomcastError(
          ErrorCode.InvalidRoute,
          `Route "${pattern}": bad parameter "${part}"`,
        )
      }
      return { kind: 'param', name }
    }
    return { kind: 'static', value: part }
  })
}

function shapeOf(segments: Segment[]): string {
  const parts = segments.map((s) =>
    s.kind === 'static' ? s.value : s.kind === 'param' ? ':' : '*',
  )
  return `/${parts.join('/')}`
}

function compareSpecificity(a: Segment[], b: Segment[]): number {
  const length = Math.max(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const diff = rank[a[i]?.kind ?? 'end'] - rank[b[i]?.kind ?? 'end']
    if (diff !== 0) return diff
  }
  return 0
}

function matchSegments(segments: Segment[], path: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {}
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment
    if (segment.kind === 'wildcard') {
      params['*'] = path.slice(i).join('/')
      return params
    }
    const part = path[i]
    if (part === undefined) return undefined
    if (segment.kind === 'static') {
      if (segment.value !== part) return undefined
    } else {
      params[segment.name] = part
    }
  }
  return segments.length === path.length ? params : undefined
}

/** Routes kept in specificity order, so the first match is the most specific one. */
export class RouteTable<T> {
  readonly #routes: CompiledRoute<T>[] = []

  /**
   * A table of `patterns`, all leading to `value`, from an option's list.
   * @throws {RoomcastError} `ERR_INVALID_OPTION` naming `option`, for a malformed pattern.
   */
  static of<T>(patterns: readonly string[], value: T, option: string): RouteTable<T> {
    const table = new RouteTable<T>()
    for (const pattern of patterns) {
      try {
        table.add(pattern, value)
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause)
        throw new RoomcastError(ErrorCode.InvalidOption, `Invalid option "${option}": ${reason}`, {
          cause,
        })
      }
    }
    return table
  }

  /** @throws {RoomcastError} `ERR_INVALID_ROUTE`, or `ERR_DUPLICATE_ROUTE` for the same shape twice. */
  add(pattern: string, value: T): void {
    const segments = compile(pattern)
    const shape = shapeOf(segments)
    const existing = this.#routes.find((r) => r.shape === shape)
    if (existing) {
      throw new RoomcastError(
        ErrorCode.DuplicateRoute,
        `Route "${pattern}" is already registered (as "${existing.pattern}")`,
      )
    }
    this.#routes.push({ pattern, shape, segments, value })
    this.#routes.sort((a, b) => compareSpecificity(a.segments, b.segments))
  }

  /**
   * Removes the route registered as `pattern` (the string given to `add`).
   * @returns its value, or `undefined` when no route has that pattern.
   */
  remove(pattern: string): T | undefined {
    const index = this.#routes.findIndex((r) => r.pattern === pattern)
    if (index === -1) return undefined
    const [removed] = this.#routes.splice(index, 1)
    return removed?.value
  }

  /** Matches decoded path segments (see {@link splitPath}). */
  match(path: string[]): RouteMatch<T> | undefined {
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, path)
      if (params) return { value: route.value, pattern: route.pattern, params }
    }
    return undefined
  }

  get size(): number {
    return this.#routes.length
  }
}
