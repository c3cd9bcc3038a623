/** parseJson / parseMaybeJson: limits, forbidden keys and the scanner's handling of strings. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { defaultJsonLimits, parseJson, parseMaybeJson } from '../src/message/safe-json.ts'

const limits = defaultJsonLimits

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}

function objectWithKeys(count: number): string {
  return JSON.stringify(Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, i])))
}

describe('parseJson', () => {
  test('parses objects, arrays and every top-level scalar', () => {
    assert.deepEqual(parseJson('{"a":[1,{"b":null}]}', limits), {
      ok: true,
      value: { a: [1, { b: null }] },
    })
    assert.deepEqual(parseJson('42', limits), { ok: true, value: 42 })
    assert.deepEqual(parseJson('-1.5e3', limits), { ok: true, value: -1500 })
    assert.deepEqual(parseJson('true', limits), { ok: true, value: true })
    assert.deepEqual(parseJson('false', limits), { ok: true, value: false })
    assert.deepEqual(parseJson('null', limits), { ok: true, value: null })
    assert.deepEqual(parseJson(' \n"str"\t', limits), { ok: true, value: 'str' })
  })

  test('invalid JSON fails with a clear reason', () => {
    for (const text of ['', '   ', 'hello', '{a:1}', '[1,]', 'true story', '{"a":1', '"open']) {
      assert.deepEqual(parseJson(text, limits), { ok: false, reason: 'not valid JSON' }, text)
    }
  })

  test('depth exactly at the limit passes; one level beyond fails', () => {
    assert.equal(parseJson(nested(64), limits).ok, true)
    assert.deepEqual(parseJson(nested(65), limits), {
      ok: false,
      reason: 'nested deeper than 64 levels',
    })
    const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    assert.equal(parseJson(objects(3), { maxDepth: 3, maxKeys: 10 }).ok, true)
    assert.equal(parseJson(objects(4), { maxDepth: 3, maxKeys: 10 }).ok, false)
  })

  test('depth counts objects and arrays together', () => {
    const mixed = '{"a":[{"b":[1]}]}' // depth 4
    assert.equal(parseJson(mixed, { maxDepth: 4, maxKeys: 10 }).ok, true)
    assert.equal(parseJson(mixed, { maxDepth: 3, maxKeys: 10 }).ok, false)
  })

  test('a 200_000-deep array fails fast without reaching the parser', () => {
    const started = performance.now()
    assert.deepEqual(parseJson(nested(200_000), limits), {
      ok: false,
      reason: 'nested deeper than 64 levels',
    })
    // Unclosed too: the scan stops at level 65 either way.
    assert.equal(parseJson('['.repeat(200_000), limits).ok, false)
    assert.ok(performance.now() - started < 100, 'should stop at the limit, not walk the input')
  })

  test('counts keys across the whole value, at any depth', () => {
    assert.equal(parseJson(objectWithKeys(100), { maxDepth: 64, maxKeys: 100 }).ok, true)
    assert.deepEqual(parseJson(objectWithKeys(101), { maxDepth: 64, maxKeys: 100 }), {
      ok: false,
      reason: 'more than 100 keys',
    })
    const spread = JSON.stringify([{ a: 1, b: 2 }, { c: { d: 3 } }]) // 4 keys
    assert.equal(parseJson(spread, { maxDepth: 64, maxKeys: 4 }).ok, true)
    assert.equal(parseJson(spread, { maxDepth: 64, maxKeys: 3 }).ok, false)
  })

  test('colons, braces and quotes inside strings do not count', () => {
    const tricky = JSON.stringify({
      text: 'a:b:c {[{[ ]}]} "quoted" \\ back\\slash',
      quote: '"',
      slash: '\\',
      slashThenQuote: '\\"',
      'key:with:colons': '}}}]]]',
    })
    assert.deepEqual(parseJson(tricky, { maxDepth: 1, maxKeys: 5 }), {
      ok: true,
      value: JSON.parse(tricky),
    })
    assert.equal(parseJson('"{{{{{{{{:::::::"', { maxDepth: 1, maxKeys: 0 }).ok, true)
  })

  test('rejects __proto__, constructor and prototype keys', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      assert.deepEqual(parseJson(`{"${key}":{"x":1}}`, limits), {
        ok: false,
        reason: `forbidden key "${key}"`,
      })
    }
  })

  test('rejects forbidden keys written with \\u escapes', () => {
    assert.deepEqual(parseJson('{"\\u005f_proto__":{"polluted":true}}', limits), {
      ok: false,
      reason: 'forbidden key "__proto__"',
    })
    assert.deepEqual(parseJson('{"a":{"\\u0063onstructor":1}}', limits), {
      ok: false,
      reason: 'forbidden key "constructor"',
    })
  })

  test('rejects forbidden keys nested in arrays', () => {
    assert.deepEqual(parseJson('[1,[{"ok":[{"prototype":{}}]}]]', limits), {
      ok: false,
      reason: 'forbidden key "prototype"',
    })
  })

  test('forbidden words in string values, or as parts of keys, are fine', () => {
    const text = '{"note":"__proto__ constructor prototype","__proto__x":1,"\\u0041":["__proto__"]}'
    const result = parseJson(text, limits)
    assert.equal(result.ok, true)
    assert.deepEqual(Object.keys(result.ok ? (result.value as object) : {}), [
      'note',
      '__proto__x',
      'A',
    ])
    assert.equal(Object.getPrototypeOf({}).polluted, undefined)
  })
})

describe('parseMaybeJson', () => {
  test('valid JSON within limits is json', () => {
    assert.deepEqual(parseMaybeJson('{"type":"chat"}', limits), {
      kind: 'json',
      value: { type: 'chat' },
    })
    assert.deepEqual(parseMaybeJson('7', limits), { kind: 'json', value: 7 })
  })

  test('anything that is not JSON is text, to be passed through', () => {
    for (const text of [
      '',
      'hello',
      'the end',
      'nice: day',
      'falsehood',
      '2 people',
      '{not json}',
      '[1, 2',
      '[}',
      '{"a" 1}',
      'a:b',
      '[1:2]',
      '{}{}',
    ]) {
      assert.deepEqual(parseMaybeJson(text, limits), { kind: 'text' }, text)
    }
  })

  test('JSON over a limit or with a forbidden key is unsafe', () => {
    assert.deepEqual(parseMaybeJson(nested(65), limits), {
      kind: 'unsafe',
      reason: 'nested deeper than 64 levels',
    })
    assert.deepEqual(parseMaybeJson(objectWithKeys(3), { maxDepth: 64, maxKeys: 2 }), {
      kind: 'unsafe',
      reason: 'more than 2 keys',
    })
    assert.deepEqual(parseMaybeJson('{"__proto__":1}', limits), {
      kind: 'unsafe',
      reason: 'forbidden key "__proto__"',
    })
  })
})
