// Cluster bench node: roomcast (Redis adapter) or Socket.IO (@socket.io/redis-adapter), one room, IPC-driven.
// Taps the node's Redis subscriber to count what it receives per channel and when (publish→arrival).
import { writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import { createAdapter } from '@socket.io/redis-adapter'
import { decode } from 'notepack.io'
import { createClient } from 'redis'
import { type Socket, Server as SocketIoServer } from 'socket.io'
import { ClusterAdapter } from '../src/adapter/cluster.ts'
import type { Transport } from '../src/adapter/transport.ts'
import { createWebSocket } from '../src/index.ts'
import { createRedisTransport } from '../src/redis.ts'
import type { WSConnection } from '../src/types.ts'
import { now, percentiles } from './connect.ts'
import { createBenchServer } from './http-server.ts'

type Command =
  | { cmd: 'publish'; count: number; rate: number; room: string }
  | { cmd: 'burst'; messages: number; perTurn: number; room: string }
  | { cmd: 'mark'; hops: boolean; profile?: boolean }
  | { cmd: 'sample' }
  | { cmd: 'solo'; room: string }
  | { cmd: 'exit' }

const [, , variant, redisUrl = '', name = variant, profileDir = ''] = process.argv
const http: Server = createBenchServer()
const pad = 'x'.repeat(64)
let open = 0
let broadcast: (room: string, message: object) => void
let first: { join(room: string): unknown } | undefined

/** Redis messages this node's subscriber received since the last mark, by channel. */
let bus = new Map<string, number>()
/** publish→arrival at this node's subscriber (ms), while marked with `hops`. */
let hops: number[] | undefined

function tap(channel: string, stamp: () => number | undefined): void {
  bus.set(channel, (bus.get(channel) ?? 0) + 1)
  if (hops === undefined) return
  const t = stamp()
  if (t !== undefined) hops.push(now() - t)
}

/** The transport createRedisAdapter() makes, with the tap in front of the adapter's listener. */
function tapped(inner: Transport): Transport {
  return {
    publish: (channel, message) => inner.publish(channel, message),
    subscribe: (channels) => inner.subscribe(channels),
    unsubscribe: (channels) => inner.unsubscribe(channels),
    onMessage: (listener) =>
      inner.onMessage((channel, message) => {
        tap(channel, () => {
          const at = message.lastIndexOf('"t":')
          return at === -1 ? undefined : Number.parseFloat(message.toString('latin1', at + 4))
        })
        listener(channel, message)
      }),
    onStatus: (listener) => inner.onStatus(listener),
    get status() {
      return inner.status
    },
    close: () => inner.close(),
  }
}

if (variant === 'roomcast') {
  // createRedisAdapter({ redis: redisUrl }) is exactly this, without the tap.
  const transport = tapped(await createRedisTransport({ url: redisUrl }))
  const adapter = new ClusterAdapter({ transport, ownsTransport: true })
  const wss = createWebSocket({ heartbeatInterval: 0, adapter })
  wss.on('error', (error) => process.send?.({ ev: 'error', message: String(error) }))
  wss.on('/', (conn: WSConnection) => {
    open++
    conn.on('close', () => open--)
    conn.join('room')
    first ??= conn
  })
  wss.attach(http)
  await wss.ready()
  broadcast = (room, message) => wss.broadcastJsonToRoom(room, message)
} else if (variant === 'socketio') {
  const pub = createClient({ url: redisUrl })
  const sub = pub.duplicate()
  for (const client of [pub, sub]) {
    client.on('error', (error: Error) => process.send?.({ ev: 'error', message: String(error) }))
  }
  await Promise.all([pub.connect(), sub.connect()])
  const io = new SocketIoServer(http, {
    transports: ['websocket'],
    serveClient: false,
    adapter: createAdapter(pub, sub),
  })
  // A second listener on the adapter's own pattern subscription: node-redis sends no new PSUBSCRIBE.
  await sub.pSubscribe(
    'socket.io#/#*',
    (message: Buffer, channel: Buffer) =>
      tap(channel.toString(), () => {
        const [, packet] = decode(message) as [string, { data?: [string, { t?: number }] }]
        return packet.data?.[1]?.t
      }),
    true,
  )
  io.on('connection', (socket: Socket) => {
    open++
    socket.on('disconnect', () => open--)
    socket.join('room')
    first ??= socket
  })
  // Every node subscribed: the adapter counts the subscribers of its request channel.
  const adapter = io.of('/').adapter as unknown as { serverCount(): Promise<number> }
  process.on('message', async (command: { cmd: string }) => {
    if (command.cmd === 'servers')
      process.send?.({ ev: 'servers', count: await adapter.serverCount() })
  })
  broadcast = (room, message) => io.to(room).emit('m', message)
} else throw new Error(`cluster-server: unknown variant ${variant}`)

/** `count` broadcasts paced at `rate`/s (a late timer catches up on the schedule), each stamped. */
function publish(count: number, rate: number, room: string): void {
  const started = now()
  let sent = 0
  const tick = () => {
    const due = Math.min(count, Math.floor(((now() - started) * rate) / 1000) + 1)
    while (sent < due) broadcast(room, { i: sent++, t: now(), pad })
    if (sent < count) setTimeout(tick, started + (sent * 1000) / rate - now())
    else process.send?.({ ev: 'published', count })
  }
  tick()
}

/** `messages` broadcasts as fast as the loop turns, `perTurn` per turn. */
function burst(messages: number, perTurn: number, room: string): void {
  const started = now()
  let sent = 0
  const turn = () => {
    for (let i = 0; i < perTurn && sent < messages; i++)
      broadcast(room, { i: sent++, t: now(), pad })
    if (sent < messages) setImmediate(turn)
    else process.send?.({ ev: 'ran', started })
  }
  turn()
}

/** With a profile directory: the V8 profiler runs from a `profile` mark to the next sample. */
let profiler: Session | undefined
async function startProfile(): Promise<void> {
  profiler = new Session()
  profiler.connect()
  await profiler.post('Profiler.enable')
  await profiler.post('Profiler.setSamplingInterval', { interval: 100 })
  await profiler.post('Profiler.start')
}
async function stopProfile(): Promise<void> {
  const session = profiler
  profiler = undefined
  if (session === undefined) return
  const { profile } = await session.post('Profiler.stop')
  writeFileSync(`${profileDir}/${name}.cpuprofile`, JSON.stringify(profile))
  session.disconnect()
}

let cpu = process.cpuUsage()
process.on('message', async (command: Command) => {
  switch (command.cmd) {
    case 'publish':
      return publish(command.count, command.rate, command.room)
    case 'burst':
      return burst(command.messages, command.perTurn, command.room)
    case 'mark':
      if (command.profile && profileDir !== '') await startProfile()
      cpu = process.cpuUsage()
      bus = new Map()
      hops = command.hops ? [] : undefined
      return process.send?.({ ev: 'marked' })
    case 'sample': {
      const used = process.cpuUsage(cpu)
      await stopProfile()
      const hop = hops === undefined ? undefined : percentiles(Float64Array.from(hops), hops.length)
      process.send?.({
        ev: 'sample',
        cpuMs: (used.user + used.system) / 1000,
        bus: Object.fromEntries(bus),
        hop: hop && { ...hop, n: hops?.length },
      })
      hops = undefined
      return
    }
    case 'solo':
      first?.join(command.room)
      return process.send?.({ ev: 'joined', ok: first !== undefined })
    case 'exit':
      return process.exit(0)
  }
})
// The orchestrator is gone: nothing else will stop this process.
process.on('disconnect', () => process.exit(0))

http.listen(0, '127.0.0.1', () => {
  process.send?.({ ev: 'ready', port: (http.address() as AddressInfo).port })
  const report = setInterval(() => process.send?.({ ev: 'count', open }), 100)
  report.unref()
})
