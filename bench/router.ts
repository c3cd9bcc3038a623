// Scenario `router`: the controller pipeline's cost per message beside a hand-written JSON.parse + switch (no sockets).
// Each variant runs in its own pinned process (so no call site sees another variant's types), warms up, then
// times whole passes over N distinct envelopes. Usage: npm run bench -- --scenario router [--messages-router
// 200000 --passes 3 --runs 3], or node --import tsx bench/router.ts with the same flags.
import { pathToFileURL } from 'node:url'
import { z } from 'zod'
import { type ControllerConnection, ControllerRouter } from '../src/message/controllers.ts'
import { type ControllerDispatch, createMessageHandler } from '../src/message/message-handler.ts'
import { defaultJsonLimits, parseMaybeJson } from '../src/message/safe-json.ts'
import type { WSConnection } from '../src/types.ts'
import { arg, median, next, pin, RUNS, start } from './harness.ts'

const VARIANTS = [
  'JSON.parse only',
  'safe parse only',
  'hand-written',
  'roomcast',
  'roomcast under tsx',
  'hand-written + zod',
  'roomcast + zod',
] as const
type Variant = (typeof VARIANTS)[number]

const N = Number(arg('messages-router', '200000'))
const PASSES = Number(arg('passes', '3'))
const WARMUP_PASSES = 2

/** ~150-byte envelopes, all distinct, as a chat client sends them (seed 004's `ChatController.send`). */
function envelopes(count: number): string[] {
  return Array.from({ length: count }, (_, n) =>
    JSON.stringify({
      type: 'chat',
      action: 'send',
      data: { room: 'general', text: `hello from user ${n % 97}, message ${n}`, at: 1.7e12 + n },
      requestId: n,
    }),
  )
}

const sendSchema = z.object({ room: z.string().min(1), text: z.string().max(500), at: z.number() })

/** The application's handler: the same function in every variant. */
function send(_conn: unknown, data: unknown): { ok: true; length: number } {
  return { ok: true, length: (data as { text: string }).text.length }
}

/** Counts replies instead of writing them; keeps the last so no variant's work can be dropped. */
class CountingConn implements ControllerConnection {
  readonly id = 'bench'
  readonly isOpen = true
  readonly signal = new AbortController().signal
  replies = 0
  last: unknown
  json(value: unknown): boolean {
    this.replies++
    this.last = value
    return true
  }
  join(): void {}
  leave(): void {}
  getRooms(): string[] {
    return []
  }
}

type Envelope = { type: string; action: string; data?: unknown; requestId?: string | number }

/** What an application writes by hand: parse, switch on type + action, call, reply. */
function handWritten(conn: CountingConn, validate: boolean): (raw: string) => void {
  return (raw) => {
    let msg: Envelope
    try {
      msg = JSON.parse(raw)
    } catch {
      conn.json({ type: 'error', error: { code: 'ERR_INVALID_MESSAGE', message: 'Invalid JSON' } })
      return
    }
    switch (`${msg.type}:${msg.action}`) {
      case 'chat:send': {
        let data = msg.data
        if (validate) {
          const checked = sendSchema.safeParse(data)
          if (!checked.success) {
            conn.json({ type: 'error', action: msg.action, requestId: msg.requestId })
            return
          }
          data = checked.data
        }
        conn.json({
          type: msg.type,
          action: msg.action,
          requestId: msg.requestId,
          data: send(conn, data),
        })
        return
      }
      default:
        conn.json({ type: 'error', action: msg.action, requestId: msg.requestId })
    }
  }
}

/** A closure made per message, as the server makes it. Returned from here it gets no name, so tsx adds no cost. */
const unnamed = (counter: { dropped: number }) => () => counter.dropped++
const unnamedReport =
  (report: (conn: unknown, error: Error) => void) => (conn: unknown, error: Error) =>
    report(conn, error)

/**
 * roomcast's pipeline as the server builds it for `on()` routes once controllers exist. `tsx`:
 * name the per-message closures as server.ts does, which under tsx (esbuild keepNames) costs an
 * `Object.defineProperty` each; compiled code (tsc, what users run) has no such call.
 */
function roomcast(conn: CountingConn, validate: boolean, tsx: boolean): (raw: string) => void {
  const router = new ControllerRouter<CountingConn, null>()
  router.add(
    validate
      ? { type: 'chat', action: 'send', handler: send, schema: sendSchema }
      : { type: 'chat', action: 'send', handler: send },
  )
  const counter = { dropped: 0 }
  const report = (_conn: unknown, error: Error) => {
    throw error
  }
  // As RoomcastServer#dispatchToControllers does: a deps object and two closures per message.
  const controllers: ControllerDispatch = tsx
    ? (c, message, fallthrough) =>
        router.dispatch(c as unknown as CountingConn, message, {
          server: null,
          fallthrough,
          reportError: (each, error) => report(each, error),
          replyDropped: () => counter.dropped++,
        })
    : (c, message, fallthrough) =>
        router.dispatch(c as unknown as CountingConn, message, {
          server: null,
          fallthrough,
          reportError: unnamedReport(report),
          replyDropped: unnamed(counter),
        })
  const handle = createMessageHandler({
    limits: defaultJsonLimits,
    transformRawData: undefined,
    responses: undefined,
    controllers,
    controllersActive: () => true,
    onMessage: undefined,
    fail: (_c, error) => report(_c, error),
    replyDropped: () => counter.dropped++,
  })
  const wsConn = conn as unknown as WSConnection
  return (raw) => handle(wsConn, raw, false)
}

function build(variant: Variant, conn: CountingConn): (raw: string) => void {
  switch (variant) {
    case 'JSON.parse only':
      return (raw) => conn.json(JSON.parse(raw))
    case 'safe parse only':
      return (raw) => conn.json(parseMaybeJson(raw, defaultJsonLimits))
    case 'hand-written':
      return handWritten(conn, false)
    case 'roomcast':
      return roomcast(conn, false, false)
    case 'roomcast under tsx':
      return roomcast(conn, false, true)
    case 'hand-written + zod':
      return handWritten(conn, true)
    case 'roomcast + zod':
      return roomcast(conn, true, false)
  }
}

/** Child: warm up, then time PASSES passes; reports the median ns per message. */
function child(variant: Variant): void {
  const messages = envelopes(N)
  const conn = new CountingConn()
  const handle = build(variant, conn)
  // The reply must be the one the hand-written code builds: same work on both sides.
  handle(messages[0] as string)
  const reply = JSON.stringify(conn.last)
  const gc = (globalThis as { gc?: () => void }).gc
  const times: number[] = []
  for (let pass = 0; pass < WARMUP_PASSES + PASSES; pass++) {
    gc?.()
    conn.replies = 0
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < N; i++) handle(messages[i] as string)
    const ns = Number(process.hrtime.bigint() - t0) / N
    if (conn.replies !== N) throw new Error(`${variant}: ${conn.replies} replies for ${N} messages`)
    if (pass >= WARMUP_PASSES) times.push(ns)
  }
  process.send?.({ ev: 'done', ns: median(times), reply })
}

export async function router(): Promise<void> {
  console.log(
    `\nrouter: ${N} distinct ~150 B envelopes per pass, ${WARMUP_PASSES} warm-up + ${PASSES} timed passes ` +
      `per process, median of ${RUNS} processes per variant, pinned: ${pin}`,
  )
  const results = new Map<Variant, number[]>(VARIANTS.map((v) => [v, []]))
  const replies = new Map<Variant, string>()
  for (let run = 0; run < RUNS; run++) {
    for (const variant of VARIANTS) {
      const proc = start(0, './router.ts', ['--child', variant, ...passThrough()], ['--expose-gc'])
      try {
        const done = await next(proc, 'done', 120_000)
        results.get(variant)?.push(done.ns as number)
        replies.set(variant, done.reply as string)
      } finally {
        proc.kill()
      }
    }
  }
  const ns = (v: Variant) => median(results.get(v) ?? [])
  console.log('variant              ns/message   runs (ns)')
  for (const variant of VARIANTS) {
    const runs = (results.get(variant) ?? []).map((n) => n.toFixed(0)).join(' / ')
    console.log(`${variant.padEnd(20)} ${ns(variant).toFixed(0).padStart(11)}   ${runs}`)
  }
  const pairs: [Variant, Variant][] = [
    ['roomcast', 'hand-written'],
    ['roomcast + zod', 'hand-written + zod'],
    ['safe parse only', 'JSON.parse only'],
    ['roomcast under tsx', 'roomcast'],
  ]
  for (const [mine, base] of pairs) {
    const ratio = (ns(mine) / ns(base)).toFixed(2)
    const extra = (ns(mine) - ns(base)).toFixed(0)
    console.log(`${`${mine} ÷ ${base}:`.padEnd(38)} ${ratio}× (+${extra} ns/message)`)
  }
  for (const [a, b] of [
    ['roomcast', 'hand-written'],
    ['roomcast + zod', 'hand-written + zod'],
  ] as const) {
    if (replies.get(a) !== replies.get(b)) {
      console.log(`warning: ${a} replied ${replies.get(a)}, ${b} replied ${replies.get(b)}`)
    }
  }
}

/** The flags a child needs from this process's command line. */
function passThrough(): string[] {
  return ['messages-router', 'passes'].flatMap((name) => {
    const value = arg(name, '')
    return value === '' ? [] : [`--${name}`, value]
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const variant = arg('child', '')
  if (variant === '') await router()
  else {
    // The parent kills this process once it has the report (or its IPC channel closes, ending it).
    try {
      child(variant as Variant)
    } catch (error) {
      process.send?.({ ev: 'error', message: String(error) })
    }
  }
}
