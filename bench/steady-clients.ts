// Steady fan-out load: N clients in the room; latency of every delivery from its publish timestamp.
import { now, openMany, percentiles } from './connect.ts'

const [, , variant = 'ws', port, count] = process.argv
const MAX_SAMPLES = 4_000_000

let expected = 0
let delivered = 0
let stride = 1
let samples = new Float64Array(0)
let kept = 0
let finish: (() => void) | undefined

function onMessage(text: string): void {
  if (delivered >= expected) return
  delivered++
  if (delivered % stride === 0 && kept < samples.length) {
    samples[kept++] = now() - Number(/"t":([\d.]+)/.exec(text)?.[1])
  }
  if (delivered === expected) finish?.()
}

process.on('message', (command: { cmd: 'expect'; deliveries: number; ms: number }) => {
  expected = command.deliveries
  delivered = 0
  kept = 0
  stride = Math.ceil(expected / MAX_SAMPLES)
  samples = new Float64Array(Math.ceil(expected / stride))
  // Reports when everything arrived, or what arrived by the deadline.
  const timer = setTimeout(() => finish?.(), command.ms)
  finish = () => {
    clearTimeout(timer)
    finish = undefined
    process.send?.({ ev: 'done', delivered, ...percentiles(samples, kept) })
  }
  process.send?.({ ev: 'expecting' })
})

await openMany(variant, Number(port), Number(count), 100, onMessage)
process.send?.({ ev: 'connected' })
