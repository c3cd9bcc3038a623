// Cluster bench load: N clients spread round-robin over the nodes; deliveries, and latency from the publish stamp.
import { connect, now, percentiles } from './connect.ts'

const [, , variant = 'roomcast', portList = '', count = '0'] = process.argv
const ports = portList.split(',').map(Number)
const clients = Number(count)
/** The publishing node; its own clients are not cross-node. */
const PUBLISHER = 0
const MAX_SAMPLES = 2_000_000

let expected = 0
let delivered = 0
let stray = 0
let stride = 1
let last = 0
let all = new Float64Array(0)
let cross = new Float64Array(0)
let kept = 0
let keptCross = 0
/** Broadcast index → its earliest arrival at a client of another node (steady rounds only). */
let firstCross = new Map<number, number>()
let finish: (() => void) | undefined

function onMessage(text: string, node: number): void {
  if (delivered >= expected) {
    stray++
    return
  }
  delivered++
  last = now()
  if (delivered % stride === 0) {
    const stamp = /"i":(\d+),"t":([\d.]+)/.exec(text)
    const latency = last - Number(stamp?.[2])
    if (kept < all.length) all[kept++] = latency
    if (node !== PUBLISHER && keptCross < cross.length) {
      cross[keptCross++] = latency
      const i = Number(stamp?.[1])
      if (stride === 1 && !firstCross.has(i)) firstCross.set(i, latency)
    }
  }
  if (delivered === expected) finish?.()
}

type Command = { cmd: 'expect'; deliveries: number; ms: number; stride: number } | { cmd: 'stray' }

process.on('message', (command: Command) => {
  if (command.cmd === 'stray') {
    process.send?.({ ev: 'stray', stray })
    stray = 0
    return
  }
  expected = command.deliveries
  delivered = 0
  kept = 0
  keptCross = 0
  firstCross = new Map()
  stride = Math.max(command.stride, Math.ceil(expected / MAX_SAMPLES))
  all = new Float64Array(Math.ceil(expected / stride))
  cross = new Float64Array(Math.ceil(expected / stride))
  // Reports when everything arrived, or what arrived by the deadline.
  const timer = setTimeout(() => finish?.(), command.ms)
  finish = () => {
    clearTimeout(timer)
    finish = undefined
    const crossNode = percentiles(cross, keptCross)
    const first = percentiles(Float64Array.from(firstCross.values()), firstCross.size)
    process.send?.({
      ev: 'done',
      delivered,
      at: last,
      ...percentiles(all, kept),
      crossP50: crossNode.p50,
      crossP99: crossNode.p99,
      firstCrossP99: first.p99,
    })
    // Whatever comes after the deadline is not this run's.
    expected = delivered
  }
  process.send?.({ ev: 'expecting' })
})
process.on('disconnect', () => process.exit(0))

// Client i goes to node i mod n, 50 handshakes in flight.
let started = 0
const worker = async () => {
  while (started < clients) {
    const node = started++ % ports.length
    await connect(variant, ports[node] as number, (text) => onMessage(text, node))
  }
}
await Promise.all(Array.from({ length: Math.min(50, clients) }, worker))
process.send?.({ ev: 'connected' })
