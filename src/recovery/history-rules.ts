/** Which rooms keep history: the server's rule, then route objects' rules, looked up once per room name. */
import type { KeptRoom } from '../adapter/index.js'
import { ErrorCode, RoomcastError } from '../errors.js'
import type { HistoryRule } from '../options/index.js'

/** Room rules looked up by name are remembered, up to this many names. */
const RULE_CACHE = 10_000

export class HistoryRules {
  readonly #rules: HistoryRule[] = []
  readonly #ruleOf = new Map<string, HistoryRule | null>()

  /** Whether any rule exists: without one, nothing is kept. */
  get any(): boolean {
    return this.#rules.length > 0
  }

  /** Adds a rule, checked after those added before it. */
  add(rule: HistoryRule): void {
    this.#rules.push(rule)
    this.#ruleOf.clear()
  }

  /** For the adapter: the history rooms among a broadcast's rooms; absent without rules. */
  get keptRooms(): ((rooms: readonly string[]) => KeptRoom[] | undefined) | undefined {
    return this.#rules.length === 0 ? undefined : this.#keptRooms
  }

  readonly #keptRooms = (rooms: readonly string[]): KeptRoom[] | undefined => {
    let kept: KeptRoom[] | undefined
    for (const room of rooms) {
      const rule = this.of(room)
      if (rule === undefined) continue
      kept ??= []
      kept.push({ room, size: rule.size, ttl: rule.ttl })
    }
    return kept
  }

  /** The first rule that keeps `room`. */
  of(room: string): HistoryRule | undefined {
    if (this.#rules.length === 0) return undefined
    let rule = this.#ruleOf.get(room)
    if (rule === undefined) {
      rule = this.#rules.find((each) => each.matches(room)) ?? null
      if (this.#ruleOf.size >= RULE_CACHE) this.#ruleOf.clear()
      this.#ruleOf.set(room, rule)
    }
    return rule ?? undefined
  }

  /**
   * The rule of `room`, for a caller that needs one.
   * @throws {RoomcastError} `ERR_INVALID_OPTION`, saying whether history is off or the room unmatched.
   */
  ofOrThrow(room: string, caller: string): HistoryRule {
    const rule = this.of(room)
    if (rule !== undefined) return rule
    const why =
      this.#rules.length === 0
        ? 'history is off: set the `history` option'
        : `room ${JSON.stringify(room)} keeps no history (see the \`history\` option's \`rooms\`)`
    throw new RoomcastError(ErrorCode.InvalidOption, `${caller}: ${why}`)
  }
}
