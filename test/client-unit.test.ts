/** The client's pure parts: backoff, the reconnect rules, positions, the buffer, frames, URL, options. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import WebSocket from 'ws'
import { advisedDelay, backoffDelay } from '../src/client/backoff.ts'
import { closeReason } from '../src/client/close-args.ts'
import { readFrame } from '../src/client/control-frames.ts'
import { createClient } from '../src/client/index.ts'
import { resolveOptions } from '../src/client/options.ts'
import { Positions } from '../src/client/positions.ts'
import { nextStep } from '../src/client/reconnect-policy.ts'
import { SendBuffer } from '../src/client/send-buffer.ts'
import { handshakeUrl } from '../src/client/url.ts'
import { within } from './helpers/timeout.ts'

const policy = { initialDelay: 1000, maxDelay: 30_000, factor: 2, jitter: true }

describe('backoffDelay and advisedDelay', () => {
  test('full jitter scales the capped exponential ceiling by random()', () => {
    assert.equal(
      backoffDelay(1, policy, () => 0.5),
      500,
    )
    assert.equal(
      backoffDelay(3, policy, () => 0.5),
      2000,
    )
    assert.equal(
      backoffDelay(6, policy, () => 0.5),
      15_000,
    )
    assert.equal(
      backoffDelay(40, policy, () => 0.999),
      29_970,
    )
    assert.equal(
      backoffDelay(2, policy, () => 0),
      0,
    )
  })

  test('without jitter the ceiling itself', () => {
    const exact = { ...policy, jitter: false }
    const delays = [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, exact, () => 0.5))
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000])
  })

  test('advice waits between half of retry and all of it; exactly retry without jitter', () => {
    assert.equal(
      advisedDelay(2000, true, () => 0),
      1000,
    )
    assert.equal(
      advisedDelay(2000, true, () => 0.5),
      1500,
    )
    assert.equal(
      advisedDelay(2000, false, () => 0),
      2000,
    )
  })
})

describe('nextStep', () => {
  const options = resolveOptions({ WebSocket, random: () => 1, reconnect: { maxAttempts: 2 } })
  const facts = { code: 1006, byApplication: false, advice: undefined, attempt: 1 }

  test('codes a retry cannot fix are final; the others reconnect', () => {
    for (const code of [1000, 1002, 1003, 1007, 1008, 1009, 1010]) {
      assert.deepEqual(nextStep({ ...facts, code }, options), { final: true }, `code ${code}`)
    }
    for (const code of [1001, 1005, 1006, 1011, 1012, 1013, 1014, 4000, 4999]) {
      assert.equal(nextStep({ ...facts, code }, options).final, false, `code ${code}`)
    }
  })

  test('the application’s close, final advice, reconnect: false and spent attempts are final', () => {
    assert.equal(nextStep({ ...facts, byApplication: true }, options).final, true)
    assert.equal(nextStep({ ...facts, advice: { final: true } }, options).final, true)
    assert.equal(nextStep(facts, { ...options, reconnect: false }).final, true)
    assert.equal(nextStep({ ...facts, attempt: 2 }, options).final, false)
    assert.equal(nextStep({ ...facts, attempt: 3 }, options).final, true)
  })

  test('retry advice replaces the backoff', () => {
    assert.deepEqual(nextStep({ ...facts, advice: { retry: 400 } }, options), {
      final: false,
      delay: 400,
    })
  })
})

describe('Positions', () => {
  test('a message is a duplicate only when every room holds its epoch at or past its offset', () => {
    const positions = new Positions()
    assert.equal(positions.accept([['a', 5, 'e']]), true)
    assert.equal(positions.accept([['a', 5, 'e']]), false)
    assert.equal(positions.accept([['a', 4, 'e']]), false)
    assert.equal(positions.accept([['a', 6, 'e']]), true)
    assert.equal(positions.accept([['a', 1, 'other']]), true)
    assert.equal(
      positions.accept([
        ['a', 1, 'other'],
        ['b', 1, 'e'],
      ]),
      true,
    )
    assert.equal(positions.accept([]), true)
    assert.deepEqual(positions.toJSON(), { a: [1, 'other'], b: [1, 'e'] })
  })

  test('an accepted message never moves a room backwards; join neither', () => {
    const positions = new Positions()
    positions.join('a', 9, 'e')
    positions.accept([
      ['a', 3, 'e'],
      ['b', 1, 'e'],
    ])
    positions.join('b', 0, 'e')
    assert.deepEqual(positions.toJSON(), { a: [9, 'e'], b: [1, 'e'] })
    positions.join('a', 2, 'new')
    assert.deepEqual(positions.toJSON(), { a: [2, 'new'], b: [1, 'e'] })
  })

  test('leave and clear forget; a room named __proto__ is a room', () => {
    const positions = new Positions()
    positions.join('__proto__', 1, 'e')
    positions.join('x', 1, 'e')
    positions.leave('x')
    assert.equal(JSON.stringify(positions), '{"__proto__":[1,"e"]}')
    positions.clear()
    assert.deepEqual(positions.toJSON(), {})
  })
})

describe('SendBuffer', () => {
  test('keeps the newest `size` entries and flushes them oldest first', () => {
    const dropped: string[] = []
    const buffer = new SendBuffer({ size: 2, ttl: 1000 })
    for (const data of ['a', 'b', 'c'])
      buffer.push({ data, heldAt: 0, onDrop: () => dropped.push(data) })
    const sent: unknown[] = []
    buffer.flush(0, (data) => sent.push(data))
    assert.deepEqual(sent, ['b', 'c'])
    assert.deepEqual(dropped, ['a'])
    assert.equal(buffer.size, 0)
  })

  test('drops what outlived ttl and skips what is no longer wanted', () => {
    const dropped: string[] = []
    const buffer = new SendBuffer({ size: 10, ttl: 1000 })
    buffer.push({ data: 'old', heldAt: 0, onDrop: () => dropped.push('old') })
    buffer.push({ data: 'edge', heldAt: 500 })
    buffer.push({ data: 'unwanted', heldAt: 900, wanted: () => false })
    buffer.push({ data: 'new', heldAt: 900 })
    const sent: unknown[] = []
    buffer.flush(1500, (data) => sent.push(data))
    assert.deepEqual(sent, ['edge', 'new'])
    assert.deepEqual(dropped, ['old'])
  })
})

describe('readFrame', () => {
  const bytes = (...values: number[]) => new Uint8Array(values).buffer

  test('text and binary control frames split into header and body', () => {
    assert.deepEqual(readFrame('\u001e{"t":"leave","room":"r"}\nbody'), {
      kind: 'control',
      header: { t: 'leave', room: 'r' },
      body: 'body',
    })
    const binary = new Uint8Array([0x1e, ...Buffer.from('{"t":"msg"}'), 0x0a, 7, 8])
    const frame = readFrame(binary.buffer)
    assert.equal(frame.kind, 'control')
    assert.deepEqual([...new Uint8Array((frame as { body: ArrayBuffer }).body)], [7, 8])
  })

  test('anything not starting with 0x1E is plain', () => {
    assert.deepEqual(readFrame('{"t":"msg"}'), { kind: 'plain', body: '{"t":"msg"}' })
    assert.equal(readFrame(bytes(1, 0x1e)).kind, 'plain')
    assert.equal(readFrame('').kind, 'plain')
  })

  test('malformed headers are invalid; an unknown t has no header', () => {
    for (const text of [
      '\u001e{"t":"msg"}',
      '\u001enope\n',
      '\u001e[]\n',
      '\u001e{"t":"session","id":1}\n',
      '\u001e{"t":"msg","p":[["r","1","e"]]}\n',
      '\u001e{"t":"advice","retry":-1}\n',
    ]) {
      assert.equal(readFrame(text).kind, 'invalid', text)
    }
    assert.deepEqual(readFrame('\u001e{"t":"later"}\nx'), {
      kind: 'control',
      header: undefined,
      body: 'x',
    })
  })
})

describe('handshakeUrl and closeReason', () => {
  test('keeps the URL’s query and sets the protocol’s parameters', () => {
    const url = handshakeUrl(new URL('ws://h/p?x=1&token=old'), {
      session: 's',
      positions: { 'a b': [1, 'e'] },
      token: ['token', 'new'],
    })
    const query = new URL(url).searchParams
    assert.deepEqual(
      [...query.keys()],
      ['x', 'token', 'roomcast', 'roomcast_session', 'roomcast_positions'],
    )
    assert.equal(query.get('token'), 'new')
    assert.deepEqual(JSON.parse(query.get('roomcast_positions') ?? ''), { 'a b': [1, 'e'] })
    assert.equal(handshakeUrl(new URL('ws://h/'), {}), 'ws://h/?roomcast=1')
  })

  test('a close reason is cut to 123 bytes at a character boundary', () => {
    assert.equal(closeReason('short'), 'short')
    const cut = closeReason('é'.repeat(100))
    assert.equal(Buffer.byteLength(cut), 122)
  })
})

describe('options', () => {
  test('unknown keys are refused, naming the key', () => {
    assert.throws(() => resolveOptions({ WebSocket, retries: 3 } as never), {
      name: 'TypeError',
      message: 'createClient: unknown option "retries"',
    })
    assert.throws(() => resolveOptions({ WebSocket, reconnect: { delay: 1 } as never }), {
      message: 'createClient: unknown option "reconnect.delay"',
    })
    assert.throws(() => resolveOptions({ WebSocket, buffer: { max: 1 } as never }), {
      message: 'createClient: unknown option "buffer.max"',
    })
    assert.throws(
      () => resolveOptions({ WebSocket, timers: { setTimeout, clearTimeout, tick: 1 } as never }),
      { message: 'createClient: unknown option "timers.tick"' },
    )
  })

  test('without a global WebSocket the option is required, by name', () => {
    // Node 22 has a global WebSocket; hide it so the test means the same everywhere.
    const global = globalThis as { WebSocket?: unknown }
    const saved = global.WebSocket
    global.WebSocket = undefined
    try {
      assert.throws(() => createClient('ws://127.0.0.1:1/'), {
        name: 'TypeError',
        message: /"WebSocket" option/,
      })
    } finally {
      global.WebSocket = saved
    }
  })

  test('the global WebSocket is the default', async () => {
    const global = globalThis as { WebSocket?: unknown }
    const saved = global.WebSocket
    const made: string[] = []
    global.WebSocket = class extends WebSocket {
      constructor(url: string) {
        super(url)
        made.push(url)
      }
    }
    try {
      const client = createClient('ws://127.0.0.1:1/', { reconnect: false })
      const closed = new Promise((resolve) => client.on('closed', resolve))
      assert.deepEqual(await within(closed, 3000, 'closed'), {
        code: 1006,
        reason: '',
        final: true,
      })
      assert.deepEqual(made, ['ws://127.0.0.1:1/?roomcast=1'])
    } finally {
      global.WebSocket = saved
    }
  })

  test('values out of range and invalid URLs are refused', () => {
    assert.throws(
      () => resolveOptions({ WebSocket, reconnect: { factor: 0.5 } }),
      /reconnect.factor/,
    )
    assert.throws(() => resolveOptions({ WebSocket, buffer: { size: 0 } }), /buffer.size/)
    assert.throws(() => resolveOptions({ WebSocket, tokenParam: '' }), /tokenParam/)
    assert.throws(() => createClient('not a url', { WebSocket }), TypeError)
    assert.throws(() => createClient('ws://h/', { WebSocket, reconnect: { jitter: 1 as never } }))
  })

  test('close() refuses codes an application may not send', async () => {
    const client = createClient('ws://127.0.0.1:1/', { WebSocket, reconnect: false })
    const events: string[] = []
    client.on('connecting', () => events.push('connecting'))
    assert.throws(() => client.close(1006), TypeError)
    await client.close()
    assert.equal(client.state, 'closed')
    // Closed before its first attempt started: it never starts.
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(events, [])
  })
})
