/** shutdown()'s retry advice: the jitter formula, advice frames for roomcast clients only, and the real client honouring it. */
import assert from 'node:assert/strict'
import { afterEach, describe, test } from 'node:test'
import WebSocket from 'ws'
import { createClient, type RoomcastClient } from '../src/client/index.ts'
import { createWebSocket, type RoomcastServer } from '../src/index.ts'
import { retryDelay } from '../src/server/drain.ts'
import { closedOf } from './helpers/client.ts'
import { control } from './helpers/protocol.ts'
import { serverFixture } from './helpers/teardown.ts'
import { eventually, within } from './helpers/timeout.ts'

const { open, serve } = serverFixture()
const RESTART_REASON = /^Server restarting; retry in (\d+) ms$/

interface Recording {
  ws: WebSocket
  /** Every frame received, as text. */
  frames: string[]
  closed: Promise<{ code: number; reason: string }>
}

const recordings: Recording[] = []
const clients: RoomcastClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) await within(client.close(), 3000, 'client close')
  for (const recording of recordings.splice(0)) recording.ws.terminate()
})

/** A roomcast-protocol connection (`?roomcast=1`) that keeps every frame; resolves once its session frame came. */
async function openRecording(url: string): Promise<Recording> {
  const ws = new WebSocket(`${url}?roomcast=1`)
  ws.on('error', () => {})
  const frames: string[] = []
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  )
  const recording = { ws, frames, closed }
  recordings.push(recording)
  await within(
    new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        frames.push(data.toString())
        if (control(data)?.header.t === 'session') resolve()
      }),
    ),
    3000,
    'session frame',
  )
  return recording
}

describe('retry advice', () => {
  test('retryDelay: minDelay + ⌊random() × spread⌋', () => {
    const plan = { batchSize: 1, interval: 2000, retryMinDelay: 1000, retrySpread: 2000 }
    assert.equal(
      retryDelay(plan, () => 0),
      1000,
    )
    assert.equal(
      retryDelay(plan, () => 0.5),
      2000,
    )
    assert.equal(
      retryDelay(plan, () => 0.9999),
      2999,
    )
    assert.equal(
      retryDelay({ ...plan, retrySpread: 0 }, () => 0.7),
      1000,
    )
  })

  test('roomcast clients get one advice frame before the 1012; the delays spread over the window', async () => {
    const server = await serve((wss) => wss.on('/', () => {}))
    const roomcast: Recording[] = []
    for (let i = 0; i < 40; i++) roomcast.push(await openRecording(server.url()))
    const plain = await open(server.url())
    await within(
      server.wss.shutdown({
        drain: { batchSize: 10, interval: 20 },
        retry: { minDelay: 1000, spread: 500 },
      }),
      3000,
      'shutdown()',
    )
    const advised = new Set<number>()
    for (const recording of roomcast) {
      const { code, reason } = await within(recording.closed, 3000, 'close')
      assert.equal(code, 1012)
      const headers = recording.frames.flatMap((frame) => {
        const header = control(frame)?.header
        return header === undefined ? [] : [header]
      })
      assert.deepEqual(
        headers.map((header) => header.t),
        ['session', 'advice'],
      )
      const retry = headers[1]?.retry as number
      assert.ok(Number.isInteger(retry) && retry >= 1000 && retry < 1500, `advised ${retry}`)
      assert.equal(reason, `Server restarting; retry in ${retry} ms`)
      advised.add(retry)
    }
    // 40 draws from 500 values give about 38 distinct ones: far fewer means no per-connection draw.
    assert.ok(advised.size >= 20, `only ${advised.size} distinct delays`)
    const closed = await closedOf(plain)
    assert.equal(closed.code, 1012)
    assert.match(closed.reason, RESTART_REASON)
    await plain.nothingWithin(1)
  })

  test('the roomcast client waits the advised delay before it reconnects', async () => {
    const old = await serve((wss) => wss.on('/', () => {}))
    const opened: Array<{ jitter: boolean; at: number }> = []
    const next: RoomcastServer = createWebSocket({ logger: { error: () => {}, warn: () => {} } })
    next.on('/', (conn) => {
      opened.push({ jitter: conn.query.get('who') === 'jitter', at: performance.now() })
    })
    const connectTo = (who: string, options: Parameters<typeof createClient>[1]) => {
      const client = createClient(old.url(`/?who=${who}`), { WebSocket, ...options })
      clients.push(client)
      // The first close and wait only: closing `next` at the end starts another round.
      const events: { closedAt?: number; delay?: number } = {}
      client.on('closed', () => {
        events.closedAt ??= performance.now()
      })
      client.on('reconnecting', ({ delay }) => {
        events.delay ??= delay
      })
      return events
    }
    // Exactly the advice without jitter; half of it with jitter and random() = 0.
    const exact = connectTo('exact', { reconnect: { jitter: false } })
    const jittered = connectTo('jitter', { random: () => 0 })
    await eventually(() => old.wss.getConnectionCount() === 2, 'both clients open')
    await within(
      old.wss.shutdown({ drain: { interval: 0 }, retry: { minDelay: 400, spread: 0 } }),
      2000,
      'shutdown()',
    )
    // The old server let go of the http server: the next one takes its upgrades.
    next.attach(old.http)
    await eventually(() => opened.length === 2, 'both clients back', 3000)
    assert.equal(exact.delay, 400)
    assert.equal(jittered.delay, 200)
    for (const [events, jitter, wait] of [
      [exact, false, 400],
      [jittered, true, 200],
    ] as const) {
      const back = opened.find((entry) => entry.jitter === jitter)?.at as number
      const waited = back - (events.closedAt as number)
      assert.ok(waited >= wait - 5 && waited < wait + 150, `reconnected after ${waited} ms`)
    }
    await within(next.close(), 3000, 'next close()')
  })
})
