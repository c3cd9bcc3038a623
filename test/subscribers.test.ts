/** Seed 004's subscribers: definitions, matching, priority order, middleware and isolation. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createSubscriberRegistry,
  defineSubscriber,
  loggingMiddleware,
  matchByProperty,
  type NoExtra,
  rateLimitMiddleware,
  type SubscriberContext,
  type SubscriberFailure,
  type SubscriberLogger,
  timingMiddleware,
} from '../src/cluster/index.ts'

/** A registry whose reported failures the test can read. */
function setup<Extra extends object = NoExtra>() {
  const reported: Array<{ error: Error } & SubscriberFailure> = []
  const registry = createSubscriberRegistry<Extra>({
    reportError: (error, failure) => reported.push({ error, ...failure }),
  })
  return { registry, reported }
}

/** A logger that records every level, debug and info included. */
function recorder(): SubscriberLogger & { lines: string[] } {
  const lines: string[] = []
  const at = (level: string) => (message: string) => lines.push(`${level} ${message}`)
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

const noop = () => undefined

describe('defineSubscriber', () => {
  test('returns a frozen definition with defaults; channel folds into channels', () => {
    const definition = defineSubscriber({ name: 'a', channel: 'news', handle: noop })
    assert.ok(Object.isFrozen(definition))
    assert.deepEqual(
      { ...definition },
      {
        name: 'a',
        description: undefined,
        priority: 0,
        handle: noop,
        middleware: [],
        channels: ['news'],
        match: undefined,
      },
    )
    const matched = defineSubscriber({ name: 'b', match: 'news', handle: noop })
    assert.deepEqual(matched.match, ['news'])
    assert.equal(matched.channels, undefined)
  })

  const invalid: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /takes an options object/],
    ['an empty name', { name: '', channel: 'x', handle: noop }, /name must be a non-empty string/],
    ['a numeric name', { name: 7, channel: 'x', handle: noop }, /name must be a non-empty string/],
    [
      'no handle and no name',
      { channel: 'x' },
      /^defineSubscriber\(\): handle must be a function$/,
    ],
    ['no handle', { name: 'a', channel: 'x' }, /"a": handle must be a function/],
    ['no channel/channels/match', { name: 'a', handle: noop }, /exactly one of .* \(got 0\)/],
    [
      'channel and match',
      { name: 'a', channel: 'x', match: /x/, handle: noop },
      /exactly one of channel, channels or match \(got 2\)/,
    ],
    ['an empty channel', { name: 'a', channel: '', handle: noop }, /channel must be/],
    ['empty channels', { name: 'a', channels: [], handle: noop }, /channels must be a non-empty/],
    [
      'an empty match array',
      { name: 'a', match: [], handle: noop },
      /match must not be an empty array/,
    ],
    ['a numeric matcher', { name: 'a', match: [/x/, 7], handle: noop }, /match must be a channel/],
    ['a NaN priority', { name: 'a', channel: 'x', priority: Number.NaN, handle: noop }, /finite/],
    ['a string description', { name: 'a', channel: 'x', description: 1, handle: noop }, /descr/],
    ['middleware not an array', { name: 'a', channel: 'x', middleware: {}, handle: noop }, /array/],
    [
      'a middleware hook that is not a function',
      { name: 'a', channel: 'x', middleware: [{ onBefore: true }], handle: noop },
      /middleware onBefore must be a function/,
    ],
  ]
  for (const [label, options, message] of invalid) {
    test(`throws a TypeError for ${label}`, () => {
      assert.throws(() => defineSubscriber(options as Parameters<typeof defineSubscriber>[0]), {
        name: 'TypeError',
        message,
      })
    })
  }

  test('throws ERR_INVALID_OPTION for a key it does not know, naming it', () => {
    assert.throws(
      () =>
        defineSubscriber({ name: 'a', channel: 'x', handle: noop, priorty: 1 } as Parameters<
          typeof defineSubscriber
        >[0]),
      {
        code: 'ERR_INVALID_OPTION',
        message: /Unknown option "priorty": did you mean "priority"\?/,
      },
    )
  })

  test('name is optional (seed 004): the definition has none until a registry names it', () => {
    const definition = defineSubscriber({ channel: 'news', handle: noop })
    assert.equal(definition.name, undefined)
    assert.deepEqual(definition.channels, ['news'])
  })

  test('types reject two of channel, channels and match', () => {
    const both = { name: 'a', channel: 'x', channels: ['y'], handle: noop }
    // @ts-expect-error exactly one of channel, channels, match
    assert.throws(() => defineSubscriber(both), TypeError)
  })
})

describe('matching', () => {
  test('channel, channels, string, RegExp, predicate and mixed arrays', async () => {
    const { registry } = setup()
    const ran: string[] = []
    const record = (context: SubscriberContext) => {
      ran.push(`${context.subscriber.name}@${context.channel}`)
    }
    registry.add({ name: 'exact', channel: 'news', handle: record })
    registry.add({ name: 'list', channels: ['news', 'sport'], handle: record })
    registry.add({ name: 'string', match: 'sport', handle: record })
    registry.add({ name: 'regexp', match: /^analytics:/, handle: record })
    registry.add({ name: 'predicate', match: ({ message }) => message === 'vip', handle: record })
    registry.add({
      name: 'mixed',
      match: ['weather', /^a/, matchByProperty('userId', 123)],
      handle: record,
    })
    const dispatched = async (channel: string, message: unknown = null) => {
      ran.length = 0
      await registry.dispatch(channel, message)
      return [...ran]
    }
    assert.deepEqual(await dispatched('news'), ['exact@news', 'list@news'])
    assert.deepEqual(await dispatched('sport'), ['list@sport', 'string@sport'])
    assert.deepEqual(await dispatched('analytics:click'), [
      'regexp@analytics:click',
      'mixed@analytics:click',
    ])
    assert.deepEqual(await dispatched('other', 'vip'), ['predicate@other'])
    assert.deepEqual(await dispatched('weather'), ['mixed@weather'])
    assert.deepEqual(await dispatched('other', { userId: 123 }), ['mixed@other'])
    assert.deepEqual(await dispatched('nothing'), [])
  })

  test('a global RegExp matches every time (lastIndex does not leak between channels)', async () => {
    const { registry } = setup()
    let count = 0
    registry.add({ name: 'g', match: /news/g, handle: () => count++ })
    for (let i = 0; i < 4; i++) await registry.dispatch('news', null)
    assert.equal(count, 4)
  })

  test('a throwing or async predicate is reported as a match failure; others still run', async () => {
    const { registry, reported } = setup()
    const ran: string[] = []
    registry.add({
      name: 'throws',
      match: () => {
        throw new Error('bad predicate')
      },
      handle: noop,
    })
    registry.add({
      name: 'async',
      match: (async () => true) as unknown as () => boolean,
      handle: noop,
    })
    registry.add({ name: 'fine', channel: 'news', handle: () => ran.push('fine') })
    const report = await registry.dispatch('news', null)
    assert.deepEqual(ran, ['fine'])
    assert.deepEqual(
      reported.map(({ subscriber, phase, error }) => [subscriber, phase, error.message]),
      [
        ['throws', 'match', 'bad predicate'],
        ['async', 'match', 'a match predicate returned a promise: predicates must be synchronous'],
      ],
    )
    assert.deepEqual(
      report.results.map((result) => [result.subscriber, result.status]),
      [
        ['throws', 'failed'],
        ['async', 'failed'],
        ['fine', 'handled'],
      ],
    )
  })

  test('channels() lists exact names to subscribe to; hasPatterns() says when every channel is needed', () => {
    const { registry } = setup()
    registry.add({ name: 'a', channels: ['b', 'a'], handle: noop })
    registry.add({ name: 'b', match: ['c', 'a'], handle: noop })
    assert.deepEqual(registry.channels(), ['a', 'b', 'c'])
    assert.equal(registry.hasPatterns(), false)
    registry.add({ name: 'c', match: ['d', /^e/], handle: noop })
    assert.equal(registry.hasPatterns(), true)
    assert.deepEqual(registry.channels(), ['a', 'b', 'c', 'd'])
    registry.remove('c')
    assert.equal(registry.hasPatterns(), false)
  })
})

describe('unnamed subscribers and every channel', () => {
  test('a registry names unnamed subscribers subscriber#<n>, skipping taken names', async () => {
    const { registry } = setup()
    const seen: string[] = []
    const record = (context: SubscriberContext) => void seen.push(context.subscriber.name)
    registry.add({ name: 'subscriber#2', channel: 'x', handle: record })
    const first = registry.add({ channel: 'x', handle: record })
    const second = registry.add(defineSubscriber({ channel: 'x', handle: record }))
    assert.equal(first.name, 'subscriber#1')
    assert.equal(second.name, 'subscriber#3')
    assert.ok(Object.isFrozen(second))
    assert.deepEqual(
      registry.list().map((definition) => definition.name),
      ['subscriber#2', 'subscriber#1', 'subscriber#3'],
    )
    const report = await registry.dispatch('x', null)
    assert.deepEqual(seen, ['subscriber#2', 'subscriber#1', 'subscriber#3'])
    assert.deepEqual(
      report.results.map((result) => result.subscriber),
      seen,
    )
    // One unnamed definition may be registered twice: each time under a new name.
    const shared = defineSubscriber({ channel: 'y', handle: noop })
    assert.equal(registry.add(shared).name, 'subscriber#4')
    assert.equal(registry.add(shared).name, 'subscriber#5')
    assert.equal(registry.remove('subscriber#1'), true)
    assert.equal(registry.has('subscriber#1'), false)
  })

  test("channels: ['*'] (and match '*') matches every channel; channels() leaves it out", async () => {
    const { registry } = setup()
    const ran: string[] = []
    registry.add({ name: 'all', channels: ['*'], handle: (c) => void ran.push(`all@${c.channel}`) })
    registry.add({ name: 'star', match: '*', handle: (c) => void ran.push(`star@${c.channel}`) })
    registry.add({
      name: 'news',
      channel: 'news',
      handle: (c) => void ran.push(`news@${c.channel}`),
    })
    await registry.dispatch('news', null)
    await registry.dispatch('anything:else', null)
    assert.deepEqual(ran, [
      'all@news',
      'star@news',
      'news@news',
      'all@anything:else',
      'star@anything:else',
    ])
    assert.deepEqual(registry.channels(), ['news'])
    assert.equal(registry.hasPatterns(), true)
    registry.remove('all')
    assert.equal(registry.hasPatterns(), true)
    registry.remove('star')
    assert.equal(registry.hasPatterns(), false)
  })
})

describe('registry', () => {
  test('runs in descending priority; equal priorities in registration order', async () => {
    const { registry } = setup()
    const ran: string[] = []
    for (const [name, priority] of [
      ['low', -5],
      ['first-default', 0],
      ['high', 20],
      ['second-default', 0],
      ['mid', 10],
    ] as const) {
      registry.add({ name, priority, channel: 'x', handle: () => ran.push(name) })
    }
    await registry.dispatch('x', null)
    assert.deepEqual(ran, ['high', 'mid', 'first-default', 'second-default', 'low'])
    assert.deepEqual(
      registry.list().map((definition) => definition.name),
      ran,
    )
  })

  test('a later handler waits for an earlier async one', async () => {
    const { registry } = setup()
    const ran: string[] = []
    registry.add({
      name: 'slow',
      priority: 1,
      channel: 'x',
      handle: async () => {
        await new Promise((resolve) => setTimeout(resolve, 10))
        ran.push('slow')
      },
    })
    registry.add({ name: 'fast', channel: 'x', handle: () => ran.push('fast') })
    await registry.dispatch('x', null)
    assert.deepEqual(ran, ['slow', 'fast'])
  })

  test('the context carries channel, message, subscriber name and the typed extra', async () => {
    const { registry } = setup<{ server: { id: string } }>()
    const seen: Array<SubscriberContext<{ server: { id: string } }>> = []
    for (const name of ['one', 'two']) {
      registry.add({ name, channel: 'x', handle: (context) => seen.push(context) })
    }
    await registry.dispatch('x', { n: 1 }, { server: { id: 'node-1' } })
    assert.deepEqual(seen[0], {
      server: { id: 'node-1' },
      channel: 'x',
      message: { n: 1 },
      subscriber: { name: 'one' },
    })
    assert.equal(seen[1]?.subscriber.name, 'two')
    assert.notEqual(seen[0], seen[1]) // one context per subscriber
    // @ts-expect-error the extra is required when the registry declares one
    await registry.dispatch('x', null)
  })

  test('add() takes definitions or options, refuses a taken name; remove() and has()', async () => {
    const { registry } = setup()
    const definition = defineSubscriber({ name: 'a', channel: 'x', handle: noop })
    assert.equal(registry.add(definition), definition)
    assert.throws(() => registry.add({ name: 'a', channel: 'y', handle: noop }), {
      message: 'subscriber "a" is already registered; remove() it first',
    })
    assert.throws(() => registry.add({ name: '', channel: 'y', handle: noop }), TypeError)
    assert.equal(registry.has('a'), true)
    assert.equal(registry.remove('a'), true)
    assert.equal(registry.remove('a'), false)
    assert.deepEqual((await registry.dispatch('x', null)).results, [])
  })

  test('one failing subscriber never stops the others; dispatch never rejects', async () => {
    const { registry, reported } = setup()
    const ran: string[] = []
    registry.add({
      name: 'sync-throw',
      priority: 3,
      channel: 'x',
      handle: () => {
        throw new Error('sync')
      },
    })
    registry.add({ name: 'reject', priority: 2, channel: 'x', handle: () => Promise.reject('raw') })
    registry.add({ name: 'ok', priority: 1, channel: 'x', handle: () => ran.push('ok') })
    const report = await registry.dispatch('x', null)
    assert.deepEqual(ran, ['ok'])
    assert.deepEqual(
      reported.map(({ subscriber, channel, phase, error }) => [
        subscriber,
        channel,
        phase,
        error.message,
      ]),
      [
        ['sync-throw', 'x', 'handle', 'sync'],
        ['reject', 'x', 'handle', 'raw'], // a non-Error rejection still arrives as an Error
      ],
    )
    assert.deepEqual(
      report.results.map((result) => result.status),
      ['failed', 'failed', 'handled'],
    )
  })

  test('a throwing reportError does not break dispatch', async () => {
    const registry = createSubscriberRegistry({
      reportError: () => {
        throw new Error('reporter down')
      },
    })
    registry.add({ name: 'bad', channel: 'x', handle: () => Promise.reject(new Error('boom')) })
    registry.add({ name: 'good', channel: 'x', handle: () => 'done' })
    const report = await registry.dispatch('x', null)
    assert.deepEqual(
      report.results.map((result) => result.status),
      ['failed', 'handled'],
    )
  })
})

describe('middleware', () => {
  test('onBefore returning false skips the handler and later onBefore hooks', async () => {
    const { registry } = setup()
    const calls: string[] = []
    registry.add({
      name: 'guarded',
      channel: 'x',
      middleware: [
        { onBefore: () => void calls.push('first') }, // undefined proceeds
        { onBefore: async (context) => (context.message as { ok?: boolean }).ok === true },
        { onBefore: () => void calls.push('third') },
      ],
      handle: () => calls.push('handle'),
    })
    const skipped = await registry.dispatch('x', { ok: false })
    assert.deepEqual(calls, ['first'])
    assert.deepEqual(skipped.results, [{ subscriber: 'guarded', status: 'skipped' }])
    calls.length = 0
    await registry.dispatch('x', { ok: true })
    assert.deepEqual(calls, ['first', 'third', 'handle'])
  })

  test('onAfter receives the handler result, in middleware order', async () => {
    const { registry } = setup()
    const calls: unknown[] = []
    registry.add({
      name: 'a',
      channel: 'x',
      middleware: [
        { onAfter: (_context, result) => calls.push(['m1', result]) },
        { onAfter: async (_context, result) => calls.push(['m2', result]) },
      ],
      handle: async () => 42,
    })
    await registry.dispatch('x', null)
    assert.deepEqual(calls, [
      ['m1', 42],
      ['m2', 42],
    ])
  })

  test('onError returning true suppresses the report; every onError still runs', async () => {
    const { registry, reported } = setup()
    const seen: string[] = []
    registry.add({
      name: 'a',
      channel: 'x',
      middleware: [
        { onError: async (_c, error) => error.message === 'known' },
        { onError: (_c, error) => void seen.push(error.message) },
      ],
      handle: (context) => {
        throw new Error(String(context.message))
      },
    })
    const suppressed = await registry.dispatch('x', 'known')
    assert.equal(suppressed.results[0]?.status, 'suppressed')
    assert.equal(reported.length, 0)
    const failed = await registry.dispatch('x', 'unknown')
    assert.equal(failed.results[0]?.status, 'failed')
    assert.deepEqual(
      reported.map(({ phase, error }) => [phase, error.message]),
      [['handle', 'unknown']],
    )
    assert.deepEqual(seen, ['known', 'unknown'])
  })

  test('failures in onBefore, onAfter and onError are reported with their phase', async () => {
    const { registry, reported } = setup()
    const fail = (message: string) => () => {
      throw new Error(message)
    }
    registry.add({ name: 'b', channel: 'x', middleware: [{ onBefore: fail('b') }], handle: noop })
    registry.add({ name: 'a', channel: 'x', middleware: [{ onAfter: fail('a') }], handle: noop })
    registry.add({
      name: 'e',
      channel: 'x',
      middleware: [{ onError: fail('in onError') }],
      handle: fail('e'),
    })
    await registry.dispatch('x', null)
    assert.deepEqual(
      reported.map(({ subscriber, phase, error }) => [subscriber, phase, error.message]),
      [
        ['b', 'before', 'b'],
        ['a', 'after', 'a'],
        ['e', 'error', 'in onError'],
        ['e', 'handle', 'e'],
      ],
    )
  })

  test('loggingMiddleware logs receipt, success and failure, with or without a label', async () => {
    const { registry } = setup()
    const logger = recorder()
    registry.add({
      name: 'sub',
      channel: 'x',
      middleware: [loggingMiddleware(logger)],
      handle: (c) => {
        if (c.message === 'bad') throw new Error('nope')
      },
    })
    registry.add({
      name: 'other',
      channel: 'y',
      middleware: [loggingMiddleware('L', logger)],
      handle: noop,
    })
    await registry.dispatch('x', 'good')
    await registry.dispatch('x', 'bad')
    await registry.dispatch('y', null)
    assert.deepEqual(logger.lines, [
      'debug sub: x received',
      'info sub: x handled',
      'debug sub: x received',
      'error sub: x failed',
      'debug L: y received',
      'info L: y handled',
    ])
  })

  test('timingMiddleware reports a duration for handled and failed runs', async () => {
    const { registry } = setup()
    const timings: Array<[string, string]> = []
    const timing = timingMiddleware((durationMs, context, outcome) => {
      assert.ok(durationMs >= 0)
      timings.push([context.subscriber.name, outcome])
    })
    registry.add({ name: 'ok', channel: 'x', middleware: [timing], handle: noop })
    registry.add({
      name: 'ko',
      channel: 'x',
      middleware: [timing],
      handle: () => Promise.reject(new Error('x')),
    })
    await registry.dispatch('x', null)
    assert.deepEqual(timings, [
      ['ok', 'handled'],
      ['ko', 'failed'],
    ])
  })

  test('rateLimitMiddleware skips runs past the limit until the window moves on', async () => {
    const { registry } = setup()
    let now = 0
    let handled = 0
    registry.add({
      name: 'limited',
      channel: 'x',
      middleware: [rateLimitMiddleware(2, 1000, { now: () => now })],
      handle: () => handled++,
    })
    const statuses = async () => (await registry.dispatch('x', null)).results[0]?.status
    assert.deepEqual(
      [await statuses(), await statuses(), await statuses()],
      ['handled', 'handled', 'skipped'],
    )
    now = 1000
    assert.equal(await statuses(), 'handled')
    assert.equal(handled, 3)
    assert.throws(() => rateLimitMiddleware(0, 1000), /max must be a positive integer/)
  })
})
