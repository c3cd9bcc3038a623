/** Standard Schema validation against zod 4: sync and async schemas, issue paths as plain keys. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { z } from 'zod'
import {
  type InferInput,
  type InferOutput,
  isStandardSchema,
  type StandardSchemaV1,
  validate,
} from '../src/message/schema.ts'

const chat = z.object({
  type: z.literal('chat'),
  text: z.string().min(1),
  to: z.array(z.object({ id: z.number() })).optional(),
})

describe('isStandardSchema', () => {
  test('recognises zod schemas and hand-written ones, callable or not', () => {
    assert.equal(isStandardSchema(chat), true)
    assert.equal(isStandardSchema(z.string()), true)
    const callable = Object.assign(() => undefined, {
      '~standard': { version: 1, vendor: 'x', validate: () => ({ value: 1 }) },
    })
    assert.equal(isStandardSchema(callable), true)
  })

  test('rejects everything else', () => {
    for (const value of [
      null,
      undefined,
      42,
      'schema',
      {},
      { '~standard': null },
      { '~standard': { version: 2, vendor: 'x', validate: () => ({ value: 1 }) } },
      { '~standard': { version: 1, vendor: 'x', validate: 'nope' } },
    ]) {
      assert.equal(isStandardSchema(value), false)
    }
  })
})

describe('validate', () => {
  test('a valid value comes back as the schema output, synchronously for a sync schema', () => {
    const trimmed = z.object({ text: z.string().transform((s) => s.trim()) })
    const result = validate(trimmed, { text: '  hi  ' })
    assert.ok(!(result instanceof Promise), 'sync schemas answer synchronously')
    assert.deepEqual(result, { ok: true, value: { text: 'hi' } })
  })

  test('issues carry their message and a nested path of plain keys', async () => {
    const result = await validate(chat, { type: 'chat', text: '', to: [{ id: 1 }, { id: 'x' }] })
    assert.equal(result.ok, false)
    if (result.ok) return
    const paths = result.issues.map((issue) => issue.path)
    assert.deepEqual(
      paths.sort((a, b) => a.length - b.length),
      [['text'], ['to', 1, 'id']],
    )
    for (const issue of result.issues) assert.equal(typeof issue.message, 'string')
  })

  test('a root-level issue has an empty path', async () => {
    const result = await validate(chat, 'not an object')
    assert.equal(result.ok, false)
    if (!result.ok) assert.deepEqual(result.issues[0]?.path, [])
  })

  test('an async refine yields a promise with the same result shape', async () => {
    const unique = z.object({
      name: z.string().refine(async (name) => name !== 'taken', { message: 'name is taken' }),
    })
    const pending = validate(unique, { name: 'taken' })
    assert.ok(pending instanceof Promise)
    assert.deepEqual(await pending, {
      ok: false,
      issues: [{ message: 'name is taken', path: ['name'] }],
    })
    assert.deepEqual(await validate(unique, { name: 'free' }), {
      ok: true,
      value: { name: 'free' },
    })
  })

  test('PathSegment objects are unwrapped and symbols are named', async () => {
    const tag = Symbol('tag')
    const schema: StandardSchemaV1<unknown, never> = {
      '~standard': {
        version: 1,
        vendor: 'hand',
        validate: async () => ({
          issues: [{ message: 'bad', path: [{ key: 'a' }, 0, tag, { key: Symbol.iterator }] }],
        }),
      },
    }
    assert.deepEqual(await validate(schema, {}), {
      ok: false,
      issues: [{ message: 'bad', path: ['a', 0, 'Symbol(tag)', 'Symbol(Symbol.iterator)'] }],
    })
  })

  test('a rejecting schema rejects the returned promise', async () => {
    const schema: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'hand',
        validate: () => Promise.reject(new Error('backend down')),
      },
    }
    await assert.rejects(async () => validate(schema, 1), /backend down/)
  })

  test('InferInput and InferOutput follow the schema types', async () => {
    const schema = z.object({ n: z.string().transform(Number) })
    const input: InferInput<typeof schema> = { n: '3' }
    const result = await validate(schema, input)
    if (!result.ok) return assert.fail('expected success')
    const output: InferOutput<typeof schema> = result.value
    const n: number = output.n
    assert.equal(n, 3)
  })
})
