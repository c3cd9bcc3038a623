/** The subscriber registry: which subscribers a message reaches, in what order, and what became of each. */
import { toError } from '../errors.js'
import { isThenable } from '../hooks.js'
import {
  defineSubscriber,
  isSubscriberDefinition,
  type NoExtra,
  nameSubscriber,
  type RegisteredSubscriber,
  type SubscriberContext,
  type SubscriberDefinition,
  type SubscriberMatcher,
  type SubscriberOptions,
} from './subscribers.js'

/** Where a subscriber failed: its match predicate, a middleware hook, or its handler. */
export type SubscriberPhase = 'match' | 'before' | 'handle' | 'after' | 'error'

/** What `reportError` is told besides the error. */
export interface SubscriberFailure {
  readonly subscriber: string
  readonly channel: string
  readonly phase: SubscriberPhase
}

/** One subscriber's outcome in a {@link DispatchReport}. */
export type SubscriberResult =
  | { readonly subscriber: string; readonly status: 'handled' | 'skipped' }
  | {
      readonly subscriber: string
      readonly status: 'failed' | 'suppressed'
      readonly phase: SubscriberPhase
      readonly error: Error
    }

/** What `dispatch()` resolves with: one result per subscriber that matched (or whose predicate threw), in run order. */
export interface DispatchReport {
  readonly channel: string
  readonly results: readonly SubscriberResult[]
}

export interface SubscriberRegistryOptions {
  /**
   * Receives every failure no `onError` suppressed, including failures of
   * `onError` itself. `dispatch()` never rejects because of a subscriber.
   */
  reportError?: (error: Error, failure: SubscriberFailure) => void
}

/** `dispatch()`'s third argument: optional only when the registry adds nothing to the context. */
export type DispatchExtra<Extra extends object> = keyof Extra extends never
  ? [extra?: Extra]
  : [extra: Extra]

/** The subscribers of one node; the transport feeds it every message it receives. */
export interface SubscriberRegistry<Extra extends object = NoExtra> {
  /**
   * Registers a definition, or options (defined on the way in). An unnamed
   * one is named `subscriber#<n>`, unique in this registry.
   * @returns the definition as registered, named.
   * @throws {TypeError} on invalid options. @throws {Error} when the name is taken.
   */
  add(
    subscriber: SubscriberDefinition<Extra> | SubscriberOptions<Extra>,
  ): RegisteredSubscriber<Extra>
  /** @returns `false` when no subscriber had that name. Dispatches in flight are unaffected. */
  remove(name: string): boolean
  has(name: string): boolean
  /** Definitions in run order: priority descending, then registration order. */
  list(): readonly RegisteredSubscriber<Extra>[]
  /** Exact channel names to subscribe to (`channel`, `channels`, string `match`, never `'*'`), sorted. */
  channels(): string[]
  /** True when a subscriber matches by `'*'`, RegExp or predicate, so the transport must deliver every channel. */
  hasPatterns(): boolean
  /** Runs each matching subscriber in turn; one failing never stops the others. */
  dispatch(
    channel: string,
    message: unknown,
    ...extra: DispatchExtra<Extra>
  ): Promise<DispatchReport>
}

interface Entry<Extra extends object> {
  readonly definition: RegisteredSubscriber<Extra>
  readonly order: number
  readonly test: ChannelTest
}

/** A compiled matcher: positional, so dispatch allocates nothing per test. */
type ChannelTest = (channel: string, message: unknown) => boolean

/** The channel name that matches every channel (seed 004's `channels: ['*']`). */
const EVERY_CHANNEL = '*'

const everyChannel: ChannelTest = () => true

function toTest(matcher: SubscriberMatcher): ChannelTest {
  if (matcher === EVERY_CHANNEL) return everyChannel
  if (typeof matcher === 'string') return (channel) => channel === matcher
  if (matcher instanceof RegExp) return (channel) => matcher.test(channel)
  return (channel, message) => {
    const verdict: unknown = matcher({ channel, message })
    if (isThenable(verdict)) {
      // Matching decides the run order up front, so it cannot wait; swallow the late result.
      verdict.then(undefined, () => undefined)
      throw new TypeError('a match predicate returned a promise: predicates must be synchronous')
    }
    return Boolean(verdict)
  }
}

function compile<Extra extends object>(definition: SubscriberDefinition<Extra>): ChannelTest {
  if (definition.channels !== undefined) {
    const names = new Set(definition.channels)
    if (names.has(EVERY_CHANNEL)) return everyChannel
    return (channel) => names.has(channel)
  }
  const tests = (definition.match ?? []).map(toTest)
  return (channel, message) => tests.some((test) => test(channel, message))
}

/**
 * Creates an empty registry. `Extra` types what `dispatch()` adds to every context.
 * @example
 * const subscribers = createSubscriberRegistry<{ server: RoomcastServer }>({ reportError })
 * subscribers.add(jobs)
 * await subscribers.dispatch('job:done', { id: 7 }, { server })
 */
export function createSubscriberRegistry<Extra extends object = NoExtra>(
  options: SubscriberRegistryOptions = {},
): SubscriberRegistry<Extra> {
  const { reportError } = options
  if (reportError !== undefined && typeof reportError !== 'function') {
    throw new TypeError('createSubscriberRegistry(): reportError must be a function')
  }
  // Replaced on every change, never mutated: a dispatch in flight keeps the set it started with.
  let entries: readonly Entry<Extra>[] = []
  let added = 0
  let unnamed = 0
  const taken = (name: string) => entries.some((entry) => entry.definition.name === name)
  const generatedName = (): string => {
    let name: string
    do name = `subscriber#${++unnamed}`
    while (taken(name))
    return name
  }

  const report = (error: Error, failure: SubscriberFailure): void => {
    try {
      reportError?.(error, failure)
    } catch {
      // A broken reporter must not break dispatch; the DispatchReport still carries the error.
    }
  }

  async function run(
    definition: RegisteredSubscriber<Extra>,
    context: SubscriberContext<Extra>,
  ): Promise<SubscriberResult> {
    const subscriber = definition.name
    let phase: SubscriberPhase = 'before'
    try {
      for (const middleware of definition.middleware) {
        if (middleware.onBefore === undefined) continue
        if ((await middleware.onBefore(context)) === false) return { subscriber, status: 'skipped' }
      }
      phase = 'handle'
      const result = await definition.handle(context)
      phase = 'after'
      for (const middleware of definition.middleware) await middleware.onAfter?.(context, result)
      return { subscriber, status: 'handled' }
    } catch (thrown) {
      const error = toError(thrown)
      let suppressed = false
      for (const middleware of definition.middleware) {
        try {
          if ((await middleware.onError?.(context, error)) === true) suppressed = true
        } catch (hookError) {
          report(toError(hookError), { subscriber, channel: context.channel, phase: 'error' })
        }
      }
      if (!suppressed) report(error, { subscriber, channel: context.channel, phase })
      return { subscriber, status: suppressed ? 'suppressed' : 'failed', phase, error }
    }
  }

  return {
    add(subscriber) {
      const defined = isSubscriberDefinition(subscriber) ? subscriber : defineSubscriber(subscriber)
      const { name } = defined
      if (name !== undefined && taken(name)) {
        throw new Error(`subscriber "${name}" is already registered; remove() it first`)
      }
      const definition =
        name === undefined
          ? nameSubscriber(defined, generatedName())
          : (defined as RegisteredSubscriber<Extra>)
      const entry: Entry<Extra> = { definition, order: added++, test: compile(definition) }
      entries = [...entries, entry].sort(
        (a, b) => b.definition.priority - a.definition.priority || a.order - b.order,
      )
      return definition
    },

    remove(name) {
      const kept = entries.filter((entry) => entry.definition.name !== name)
      const removed = kept.length !== entries.length
      entries = kept
      return removed
    },

    has: taken,

    list: () => entries.map((entry) => entry.definition),

    channels() {
      const names = new Set<string>()
      for (const { definition } of entries) {
        for (const name of definition.channels ?? []) names.add(name)
        for (const matcher of definition.match ?? []) {
          if (typeof matcher === 'string') names.add(matcher)
        }
      }
      names.delete(EVERY_CHANNEL)
      return [...names].sort()
    },

    hasPatterns: () =>
      entries.some(
        ({ definition }) =>
          definition.channels?.includes(EVERY_CHANNEL) === true ||
          (definition.match ?? []).some(
            (matcher) => typeof matcher !== 'string' || matcher === EVERY_CHANNEL,
          ),
      ),

    async dispatch(channel, message, ...extra) {
      if (typeof channel !== 'string') throw new TypeError('dispatch(): channel must be a string')
      const base = (extra[0] ?? {}) as Extra
      const results: SubscriberResult[] = []
      for (const { definition, test } of entries) {
        const subscriber = definition.name
        let matched: boolean
        try {
          matched = test(channel, message)
        } catch (thrown) {
          const error = toError(thrown)
          report(error, { subscriber, channel, phase: 'match' })
          results.push({ subscriber, status: 'failed', phase: 'match', error })
          continue
        }
        if (!matched) continue
        const context = { ...base, channel, message, subscriber: { name: subscriber } }
        results.push(await run(definition, context))
      }
      return { channel, results }
    },
  }
}
