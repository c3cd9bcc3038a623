/** Seed 004's subscriber helpers: message matchers and handler wrappers. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  composeHandlers,
  createSubscriberRegistry,
  defineSubscriber,
  matchByProperty,
  matchByPropertyPredicate,
  type SubscriberContext,
  type SubscriberLogger,
  withErrorHandler,
  withFilter,
  withLogging,
  withRateLimit,
  withRetry,
  withValidation,
} from '../src/cluster/index.ts'

/** A context as dispatch builds it, for calling wrapped handlers directly. */
const contextOf = (message: unknown = {}, channel = 'news'): SubscriberContext => ({
  channel,
  message,
  subscriber: { name: 'direct' },
})

/** A logger that records every level, debug and info included. */
function recorder(): SubscriberLogger & { lines: string[] } {
  const lines: string[] = []
  const at = (level: string) => (message: string) => lines.push(`${level} ${message}`)
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

const noop = () => undefined

/** For calls in forms the types refuse, to check the run-time refusal. */
type Untyped = (...args: unknown[]) => unknown

describe('matchers', () => {
  test('matchByProperty reads own properties along a path, never prototypes or primitives', () => {
    const byType = matchByProperty('type', 'analytics')
    assert.equal(byType({ channel: 'c', message: { type: 'analytics' } }), true)
    assert.equal(byType({ channel: 'c', message: { type: 'other' } }), false)
    for (const message of [null, undefined, 'analytics', 7, []])
      assert.equal(byType({ channel: 'c', message: message }), false)
    assert.equal(
      matchByProperty('user.id', 5)({ channel: 'c', message: { user: { id: 5 } } }),
      true,
    )
    assert.equal(matchByProperty(['a.b'], 1)({ channel: 'c', message: { 'a.b': 1 } }), true)
    assert.equal(matchByProperty('items.0', 'x')({ channel: 'c', message: { items: ['x'] } }), true)
    assert.equal(matchByProperty('user.id', 5)({ channel: 'c', message: { user: null } }), false)
    assert.equal(
      matchByProperty('toString', Object.prototype.toString)({ channel: 'c', message: {} }),
      false,
    )
    assert.equal(matchByProperty('missing', undefined)({ channel: 'c', message: {} }), false)
    assert.throws(() => matchByProperty('', 1), TypeError)
  })

  test('matchByPropertyPredicate calls the predicate only when the property exists', () => {
    const seen: unknown[] = []
    const urgent = matchByPropertyPredicate('priority', (value) => {
      seen.push(value)
      return typeof value === 'number' && value > 5
    })
    assert.equal(urgent({ channel: 'c', message: { priority: 9 } }), true)
    assert.equal(urgent({ channel: 'c', message: { priority: 1 } }), false)
    assert.equal(urgent({ channel: 'c', message: {} }), false)
    assert.equal(urgent({ channel: 'c', message: null }), false)
    assert.deepEqual(seen, [9, 1])
  })
})

describe('handler wrappers', () => {
  test('withErrorHandler hands the failure to onError and resolves undefined', async () => {
    const handled: Array<[string, string]> = []
    const wrapped = withErrorHandler(
      (context) => {
        if (context.message === 'bad') throw new Error('broken')
        return 'fine'
      },
      (error, context) => handled.push([error.message, context.channel]),
    )
    assert.equal(await wrapped(contextOf('ok')), 'fine')
    assert.equal(await wrapped(contextOf('bad')), undefined)
    assert.deepEqual(handled, [['broken', 'news']])
  })

  test('withRateLimit drops calls past max within windowMs (injected clock)', async () => {
    let now = 0
    const limited: unknown[] = []
    const wrapped = withRateLimit((context) => context.message, {
      max: 2,
      windowMs: 100,
      now: () => now,
      onLimited: (context) => limited.push(context.message),
    })
    assert.deepEqual([await wrapped(contextOf(1)), await wrapped(contextOf(2))], [1, 2])
    assert.equal(await wrapped(contextOf(3)), undefined)
    now = 99
    assert.equal(await wrapped(contextOf(4)), undefined)
    now = 100
    assert.equal(await wrapped(contextOf(5)), 5)
    assert.deepEqual(limited, [3, 4])
    assert.throws(
      () => withRateLimit(noop, { max: 1, windowMs: 0 }),
      /windowMs must be a positive number/,
    )
  })

  test('withRateLimit(handler, maxExecutions, windowMs, onLimited) is the same, positional', async () => {
    const limited: string[] = []
    const wrapped = withRateLimit(
      (context) => context.message,
      2,
      60_000,
      (context) => limited.push(context.channel),
    )
    assert.deepEqual(
      [await wrapped(contextOf(1)), await wrapped(contextOf(2)), await wrapped(contextOf(3))],
      [1, 2, undefined],
    )
    assert.deepEqual(limited, ['news'])
    const quiet = withRateLimit(() => 'ok', 1, 60_000)
    assert.deepEqual([await quiet(contextOf()), await quiet(contextOf())], ['ok', undefined])
    assert.throws(() => withRateLimit(noop, 0, 1000), /max must be a positive integer/)
    assert.throws(() => withRateLimit(noop, 1, 0), /windowMs must be a positive number/)
    assert.throws(
      () => (withRateLimit as Untyped)(noop, { max: 1, windowMs: 1 }, 5),
      /Use withRateLimit/,
    )
    assert.throws(() => withRateLimit(noop, '10' as never, 1000), /Use withRateLimit/)
  })

  test('withRetry retries with exponential backoff, capped by maxDelayMs', async () => {
    let attempts = 0
    const delays: number[] = []
    const wrapped = withRetry(
      async () => {
        attempts++
        if (attempts < 4) throw new Error(`attempt ${attempts}`)
        return 'finally'
      },
      {
        retries: 3,
        baseDelayMs: 1,
        factor: 3,
        maxDelayMs: 5,
        onRetry: (_e, _n, ms) => delays.push(ms),
      },
    )
    assert.equal(await wrapped(contextOf()), 'finally')
    assert.equal(attempts, 4)
    assert.deepEqual(delays, [1, 3, 5])
  })

  test('withRetry rejects with the last error once retries run out', async () => {
    let attempts = 0
    const wrapped = withRetry(
      () => {
        attempts++
        throw new Error(`attempt ${attempts}`)
      },
      { retries: 2, baseDelayMs: 1 },
    )
    await assert.rejects(wrapped(contextOf()), { message: 'attempt 3' })
    assert.throws(() => withRetry(noop, { retries: -1, baseDelayMs: 1 }), TypeError)
  })

  test('withRetry(handler, maxRetries, initialDelayMs, backoffMultiplier) backs off exponentially', async () => {
    const times: number[] = []
    const wrapped = withRetry(
      () => {
        times.push(performance.now())
        if (times.length < 4) throw new Error(`attempt ${times.length}`)
        return 'finally'
      },
      3,
      4,
      2,
    )
    assert.equal(await wrapped(contextOf()), 'finally')
    assert.equal(times.length, 4)
    const waits = times.slice(1).map((time, i) => time - (times[i] as number))
    // Timers never fire early; each wait is at least 4, 8, 16 ms (1 ms of timer rounding allowed).
    for (const [i, least] of [4, 8, 16].entries()) assert.ok((waits[i] as number) >= least - 1)

    let attempts = 0
    const once = withRetry(
      () => {
        attempts++
        throw new Error(`attempt ${attempts}`)
      },
      1,
      0,
    )
    await assert.rejects(once(contextOf()), { message: 'attempt 2' })
    assert.throws(() => withRetry(noop, -1), /maxRetries/)
    assert.throws(() => withRetry(noop, 1, 1, 0.5), /factor ≥ 1/)
    assert.throws(
      () => (withRetry as Untyped)(noop, { retries: 1, baseDelayMs: 1 }, 5),
      /Use withRetry/,
    )
    assert.throws(() => withRetry(noop, '3' as never), /Use withRetry/)
  })

  test('withValidation(validator, handler) runs on true, rejects on false, passes a thrown error through', async () => {
    const ran: unknown[] = []
    const seen: unknown[] = []
    const wrapped = withValidation(
      (message, context) => {
        seen.push(context.channel)
        if (message === 'throw') throw new Error('missing type')
        return message === 'valid'
      },
      (context) => ran.push(context.message),
    )
    await wrapped(contextOf('valid'))
    await assert.rejects(wrapped(contextOf('invalid')), {
      message: 'subscriber "direct": message on channel "news" failed validation',
    })
    await assert.rejects(wrapped(contextOf('throw')), { message: 'missing type' })
    const asyncValidated = withValidation(
      async () => true,
      () => 'ok',
    )
    assert.equal(await asyncValidated(contextOf()), 'ok')
    assert.deepEqual(ran, ['valid'])
    assert.deepEqual(seen, ['news', 'news', 'news'])
  })

  test("withValidation: a validator that returns nothing accepts (seed 004's throwing validator)", async () => {
    const ran: unknown[] = []
    const wrapped = withValidation(
      (message) => {
        if (!(message as { type?: string } | null)?.type) throw new Error('Missing type')
      },
      (context) => ran.push(context.message),
    )
    await wrapped(contextOf({ type: 'a' }))
    await assert.rejects(wrapped(contextOf({})), { message: 'Missing type' })
    assert.deepEqual(ran, [{ type: 'a' }])
    const handler = (context: SubscriberContext) => context.channel
    const validator = (message: unknown) => message === 'valid'
    // @ts-expect-error the old (handler, validator) order: a handler cannot take the message
    withValidation(handler, validator)
    assert.throws(() => withValidation(noop, 'handler' as never), {
      name: 'TypeError',
      message: 'withValidation(validator, handler): handler must be a function',
    })
  })

  test('withFilter(predicate, handler) runs the handler only when the predicate holds', async () => {
    const wrapped = withFilter(
      (context) => (context.message as { authenticated?: boolean }).authenticated === true,
      () => 'ran',
    )
    assert.equal(await wrapped(contextOf({ authenticated: true })), 'ran')
    assert.equal(await wrapped(contextOf({})), undefined)
    const asyncFiltered = withFilter(
      async () => false,
      () => 'ran',
    )
    assert.equal(await asyncFiltered(contextOf()), undefined)
  })

  test('withFilter in the old (handler, predicate) order fails loudly', async () => {
    let handled = 0
    const handler = () => {
      handled++
    }
    const predicate = () => false
    // @ts-expect-error the handler returns no boolean: it cannot be the predicate
    const swapped = withFilter(handler, predicate)
    await assert.rejects(swapped(contextOf()), {
      name: 'TypeError',
      message:
        'withFilter(predicate, handler): the predicate returned undefined, not a boolean; is it the handler (arguments swapped)?',
    })
    assert.equal(handled, 1)
    assert.throws(() => withFilter(predicate, undefined as never), TypeError)
  })

  test('composeHandlers runs in order (rest or array form) and stops at a failure', async () => {
    const ran: string[] = []
    const step = (name: string) => async () => {
      await Promise.resolve()
      ran.push(name)
    }
    await composeHandlers(step('a'), [step('b'), step('c')], step('d'))(contextOf())
    assert.deepEqual(ran, ['a', 'b', 'c', 'd'])
    ran.length = 0
    const failing = composeHandlers(
      step('a'),
      () => {
        throw new Error('stop')
      },
      step('never'),
    )
    await assert.rejects(failing(contextOf()), { message: 'stop' })
    assert.deepEqual(ran, ['a'])
    assert.throws(() => composeHandlers(noop, 'x' as never), TypeError)
  })

  test('withLogging logs start and success, or the failure, and rethrows', async () => {
    const logger = recorder()
    const ok = withLogging(() => 1, 'ok', logger)
    const bad = withLogging(() => Promise.reject(new Error('no')), 'bad', logger)
    assert.equal(await ok(contextOf()), 1)
    await assert.rejects(bad(contextOf()), { message: 'no' })
    assert.deepEqual(logger.lines, [
      'debug ok: started',
      'info ok: done',
      'debug bad: started',
      'error bad: failed',
    ])
    const quiet = withLogging(() => 2, 'quiet', { warn: noop, error: noop }) // no debug/info: fine
    assert.equal(await quiet(contextOf()), 2)
  })

  test('wrapped handlers infer the typed context inside defineSubscriber', async () => {
    const registry = createSubscriberRegistry<{ server: { publish(text: string): void } }>()
    const published: string[] = []
    registry.add(
      defineSubscriber<{ server: { publish(text: string): void } }>({
        name: 'typed',
        match: [/^jobs:/, matchByProperty('kind', 'job')],
        handle: composeHandlers(
          withRetry(({ server, channel }) => server.publish(channel), {
            retries: 1,
            baseDelayMs: 1,
          }),
          withFilter(
            ({ message }) => message !== null,
            ({ server }) => server.publish('filtered'),
          ),
        ),
      }),
    )
    await registry.dispatch(
      'jobs:done',
      { kind: 'job' },
      { server: { publish: (t) => published.push(t) } },
    )
    assert.deepEqual(published, ['jobs:done', 'filtered'])
  })
})
