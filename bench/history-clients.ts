// Recovery storm load: N roomcast-protocol clients on node A; once armed, each reconnects to node B the moment its
// socket closes, with its session id and positions, and checks that the room's numbered messages have no gap or repeat.
// `history-clients.ts <portA> <portB> <count>`
import WebSocket from 'ws'
import { now } from './connect.ts'

const [, , portA, portB, count] = process.argv
const CLIENTS = Number(count)
const ATTEMPTS = 5
const RETRY_MS = 100
const HANDSHAKE_MS = 10_000

interface Client {
  sessionId: string
  /** Per room: offset and epoch, as the roomcast client keeps them (docs/protocol.md). */
  positions: Record<string, [number, string]>
  /** Highest message number delivered. */
  last: number
  /** Numbers skipped, and numbers delivered twice or out of order. */
  gaps: number
  repeats: number
  /** Frames a roomcast client drops as duplicates by their positions. */
  dropped: number
  /** On node B: when its session frame came, and whether it said recovered. */
  sessionAt: number | undefined
  recovered: boolean | undefined
  /** First in-order message published after its session frame: everything missed before it arrived. */
  caughtUpAt: number | undefined
  attempts: number
}

let armed = false
let earlyCloses = 0
let lateCloses = 0
let failed = 0
let caughtUp = 0
let watch: (() => void) | undefined
const clients: Client[] = []

function deliver(client: Client, body: string): void {
  const match = /"i":(\d+),"t":([\d.]+)/.exec(body)
  const i = Number(match?.[1])
  if (i > client.last + 1) client.gaps += i - client.last - 1
  if (i <= client.last) client.repeats++
  else client.last = i
  if (client.recovered !== true || client.caughtUpAt !== undefined) return
  if (Number(match?.[2]) <= (client.sessionAt ?? 0) || client.gaps + client.repeats > 0) return
  client.caughtUpAt = now()
  if (++caughtUp === CLIENTS) watch?.()
}

function take(client: Client, text: string, session: () => void): void {
  if (text.charCodeAt(0) !== 0x1e) {
    deliver(client, text)
    return
  }
  const end = text.indexOf('\n')
  const header = JSON.parse(text.slice(1, end)) as Record<string, unknown>
  const { positions } = client
  const stale = (room: string, offset: number, epoch: string) => {
    const known = positions[room]
    return known !== undefined && known[1] === epoch && known[0] >= offset
  }
  if (header.t === 'session') {
    client.sessionId = String(header.id)
    if (armed) {
      client.sessionAt = now()
      client.recovered = header.recovered === true
    }
    session()
  } else if (header.t === 'join') {
    const { room, offset, epoch } = header as { room: string; offset: number; epoch: string }
    if (!stale(room, offset, epoch)) positions[room] = [offset, epoch]
    session()
  } else if (header.t === 'msg') {
    const p = (header.p ?? []) as Array<[string, number, string]>
    if (p.length > 0 && p.every(([room, offset, epoch]) => stale(room, offset, epoch))) {
      client.dropped++
      return
    }
    for (const [room, offset, epoch] of p) positions[room] = [offset, epoch]
    deliver(client, text.slice(end + 1))
  }
}

/** Opens (or, with a session, resumes) one client; resolves once it has its session frame and room position. */
function open(client: Client, port: string): Promise<void> {
  const resume =
    client.sessionId === ''
      ? ''
      : `&roomcast_session=${client.sessionId}` +
        `&roomcast_positions=${encodeURIComponent(JSON.stringify(client.positions))}`
  const ws = new WebSocket(`ws://127.0.0.1:${port}/?roomcast=1${resume}`, {
    perMessageDeflate: false,
    handshakeTimeout: HANDSHAKE_MS,
  })
  return new Promise((resolve, reject) => {
    let settled = false
    // Ready once the session frame came and (fresh, or recovered) the room's position too.
    const session = () => {
      const ready = client.positions.room !== undefined || client.recovered === false
      if (settled || client.sessionId === '' || !ready) return
      settled = true
      resolve()
    }
    ws.on('message', (data: Buffer) => take(client, data.toString(), session))
    ws.on('error', () => {})
    ws.once('close', () => {
      if (!settled) {
        settled = true
        return reject(new Error(`closed before its session frame (port ${port})`))
      }
      if (!armed) earlyCloses++
      else if (client.sessionAt === undefined) void reconnect(client)
      else lateCloses++
    })
  })
}

/** Node A died: straight to node B, a few attempts RETRY_MS apart. */
async function reconnect(client: Client): Promise<void> {
  while (client.attempts < ATTEMPTS) {
    client.attempts++
    try {
      return await open(client, portB as string)
    } catch {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
    }
  }
  failed++
  if (caughtUp + failed === CLIENTS) watch?.()
}

function storm(cpu: NodeJS.CpuUsage) {
  const used = process.cpuUsage(cpu)
  const sessions = clients.flatMap((c) => (c.sessionAt === undefined ? [] : [c.sessionAt]))
  return {
    ev: 'storm',
    sessions,
    caughtUp: clients.flatMap((c) => (c.caughtUpAt === undefined ? [] : [c.caughtUpAt])),
    recovered: clients.filter((c) => c.recovered === true).length,
    fresh: clients.filter((c) => c.recovered === false).length,
    failed,
    retries: clients.reduce((sum, c) => sum + Math.max(0, c.attempts - 1), 0),
    earlyCloses,
    cpuMs: (used.user + used.system) / 1000,
  }
}

/** After the stream stopped at `last`: how many clients hold exactly 1..last, and every fault. */
function finished(last: number) {
  return {
    ev: 'finished',
    complete: clients.filter((c) => c.last === last && c.gaps + c.repeats === 0).length,
    minLast: Math.min(...clients.map((c) => c.last)),
    gaps: clients.reduce((sum, c) => sum + c.gaps, 0),
    repeats: clients.reduce((sum, c) => sum + c.repeats, 0),
    withFaults: clients.filter((c) => c.gaps + c.repeats > 0).length,
    dropped: clients.reduce((sum, c) => sum + c.dropped, 0),
    lateCloses,
  }
}

type Command =
  | { cmd: 'arm' }
  | { cmd: 'watch'; ms: number }
  | { cmd: 'finish'; last: number; ms: number }
  | { cmd: 'exit' }

process.on('message', (command: Command) => {
  if (command.cmd === 'arm') {
    armed = true
    process.send?.({ ev: 'armed' })
  } else if (command.cmd === 'watch') {
    // Reports once every client caught up or gave up, or at the deadline with what it has.
    const [timer, cpu] = [setTimeout(() => watch?.(), command.ms), process.cpuUsage()]
    watch = () => {
      clearTimeout(timer)
      watch = undefined
      process.send?.(storm(cpu))
    }
    if (caughtUp + failed === CLIENTS) watch()
  } else if (command.cmd === 'finish') {
    const deadline = Date.now() + command.ms
    const check = () => {
      const done = clients.every((c) => c.last >= command.last)
      if (done || Date.now() > deadline) process.send?.(finished(command.last))
      else setTimeout(check, 20)
    }
    check()
  } else process.exit(0)
})
process.on('disconnect', () => process.exit(0))

// Onto node A, 50 handshakes in flight.
let started = 0
const worker = async () => {
  while (started < CLIENTS) {
    started++
    const client: Client = {
      sessionId: '',
      positions: {},
      last: 0,
      gaps: 0,
      repeats: 0,
      dropped: 0,
      sessionAt: undefined,
      recovered: undefined,
      caughtUpAt: undefined,
      attempts: 0,
    }
    clients.push(client)
    await open(client, portA as string)
  }
}
try {
  await Promise.all(Array.from({ length: Math.min(50, CLIENTS) }, worker))
  process.send?.({ ev: 'connected' })
} catch (error) {
  process.send?.({ ev: 'error', message: String(error) })
}
