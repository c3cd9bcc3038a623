/** ListenerRegistry: EventEmitter semantics for once/off, failures caught. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ListenerRegistry } from '../src/connection/listeners.ts'

type Events = { tick: (n: number) => void }

describe('ListenerRegistry', () => {
  test('a once registration removes only itself, not an on() of the same function', () => {
    const registry = new ListenerRegistry<Events>()
    const calls: number[] = []
    const f = (n: number) => calls.push(n)
    registry.add('tick', f, false)
    registry.add('tick', f, true)
    for (const n of [1, 2, 3]) registry.emit('tick', [n], assert.fail)
    assert.deepEqual(calls, [1, 1, 2, 3])
    assert.equal(registry.count('tick'), 1)
  })

  test('a once listener runs once even when an earlier listener emits the event again', () => {
    const registry = new ListenerRegistry<Events>()
    const calls: number[] = []
    registry.add('tick', (n) => n === 1 && registry.emit('tick', [2], assert.fail), false)
    registry.add('tick', (n) => calls.push(n), true)
    registry.emit('tick', [1], assert.fail)
    assert.deepEqual(calls, [2], 'the nested emit called it; the outer one did not again')
    assert.equal(registry.count('tick'), 1)
  })

  test('off removes the most recently added registration of a function', () => {
    const registry = new ListenerRegistry<Events>()
    const calls: string[] = []
    const f = () => calls.push('f')
    registry.add('tick', f, true)
    registry.add('tick', f, false)
    registry.remove('tick', f)
    registry.emit('tick', [1], assert.fail)
    registry.emit('tick', [2], assert.fail)
    assert.deepEqual(calls, ['f'], 'the once registration stayed and fired once')
    assert.equal(registry.count('tick'), 0)
  })

  test('a listener removed during emit still runs in that emit; one added does not', () => {
    const registry = new ListenerRegistry<Events>()
    const calls: string[] = []
    const b = () => calls.push('b')
    const c = () => calls.push('c')
    registry.add(
      'tick',
      () => {
        calls.push('a')
        registry.remove('tick', b)
        registry.add('tick', c, false)
      },
      false,
    )
    registry.add('tick', b, false)
    registry.emit('tick', [1], assert.fail)
    assert.deepEqual(calls, ['a', 'b'])
  })

  test('sync throws and async rejections go to onFailure as Errors; later listeners still run', async () => {
    const registry = new ListenerRegistry<Events>()
    const failures: Error[] = []
    let ran = false
    registry.add(
      'tick',
      () => {
        throw 'plain string'
      },
      false,
    )
    registry.add(
      'tick',
      async () => {
        throw new Error('async boom')
      },
      false,
    )
    registry.add(
      'tick',
      () => {
        ran = true
      },
      false,
    )
    registry.emit('tick', [1], (error) => failures.push(error))
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(ran, true)
    assert.deepEqual(
      failures.map((e) => e.message),
      ['plain string', 'async boom'],
    )
    assert.ok(failures.every((e) => e instanceof Error))
  })

  test('a listener that is not a function is refused with a TypeError', () => {
    const registry = new ListenerRegistry<Events>()
    assert.throws(() => registry.add('tick', 'nope' as never, false), TypeError)
  })
})
