/** The one checker for unknown option keys: every options object refuses what it does not know. */
import { ErrorCode, RoomcastError } from '../errors.js'
import { type OptionsObject, SEED_SYSTEMS, type SeedName, seedNameFor } from './seed-names.js'

/** Where an options object was passed, for the seed names table and for messages. */
export interface KeyContext {
  /** Which options object this is: selects the seed names that apply. */
  object: OptionsObject
  /** Written before the key inside the quotes, as other option errors do: `'perMessageDeflate.'`. */
  path?: string
  /** Who took the options, written before the message: `'route /chat'`, `'createRedisAdapter'`. */
  scope?: string
}

/**
 * The keys of an options type, as a set. Taking a record makes the compiler
 * insist on every key of `T` and refuse any other, so the set cannot drift
 * from the type.
 */
export function keySet<T>(keys: { [K in keyof T & string]-?: true }): ReadonlySet<string> {
  return new Set(Object.keys(keys))
}

/**
 * Throws for the first own key of `options` that is not in `known`, naming it
 * and, when it is a seed's name or a near miss, the roomcast form to use.
 * Called once where options are resolved, never on a hot path.
 * @throws {RoomcastError} `ERR_INVALID_OPTION`.
 * @example
 * assertKnownKeys(options, RATE_LIMIT_KEYS, { object: 'rateLimit', path: 'rateLimit.' })
 */
export function assertKnownKeys(
  options: object,
  known: ReadonlySet<string>,
  context: KeyContext,
): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw unknownOption(key, known, context)
  }
}

/** The error for one unknown key, with the hint the seed names table or a near miss gives. */
export function unknownOption(
  key: string,
  known: ReadonlySet<string>,
  context: KeyContext,
): RoomcastError {
  const scope = context.scope === undefined ? '' : `${context.scope}: `
  const named = `${scope}Unknown option "${context.path ?? ''}${key}"`
  const seed = seedNameFor(context.object, key, known)
  if (seed !== undefined) return new RoomcastError(ErrorCode.InvalidOption, named + seedHint(seed))
  const near = nearMiss(key, known)
  const hint = near === undefined ? '' : `: did you mean "${near}"?`
  return new RoomcastError(ErrorCode.InvalidOption, named + hint)
}

/** ` (verb's name): use "inactivityTimeout" (…)`: the table's row as plain text. */
function seedHint(seed: SeedName): string {
  const use = seed.use === undefined ? plain(seed.instead ?? '') : `use "${seed.use}"`
  const note = seed.note === undefined ? '' : ` (${plain(seed.note)})`
  return ` (${SEED_SYSTEMS[seed.seed].name}'s name): ${use}${note}`
}

/** Markdown's backticks are for the README; messages read better without them. */
function plain(markdown: string): string {
  return markdown.replaceAll('`', '')
}

/**
 * The known key `key` most likely meant: equal but for case, within a few
 * edits (more for longer names), or one name starting the other (at least 5
 * characters: `intervalCheck`); the closest first.
 */
export function nearMiss(key: string, known: Iterable<string>): string | undefined {
  const lower = key.toLowerCase()
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    const other = candidate.toLowerCase()
    const allowed = candidate.length <= 4 ? 1 : candidate.length <= 8 ? 2 : 3
    let distance = editDistance(lower, other)
    if (distance > allowed && Math.min(lower.length, other.length) >= 5) {
      // A name cut short or run on ranks after every true near miss.
      if (other.startsWith(lower) || lower.startsWith(other)) distance = allowed + 0.5
    }
    if (distance <= allowed + 0.5 && distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Number.POSITIVE_INFINITY
  let before: number[] = []
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      )
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] ?? 0) + 1)
      }
      current.push(d)
    }
    before = previous
    previous = current
  }
  return previous[b.length] ?? Number.POSITIVE_INFINITY
}
