// Orchestrator helpers shared by every scenario: flags, pinned child processes, bounded IPC waits, tables.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus } from 'node:os'

export type Event = { ev: string; [key: string]: unknown }

export const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : (process.argv[i + 1] ?? fallback)
}
export const RUNS = Number(arg('runs', '3'))
export const pin = existsSync('/usr/bin/taskset') && cpus().length >= 2

/** Starts a bench process (server on core 0, load on core 1 when pinned) with an IPC channel. */
export function start(core: number, file: string, args: string[], flags: string[] = []) {
  const node = [
    process.execPath,
    ...flags,
    '--import',
    'tsx',
    new URL(file, import.meta.url).pathname,
    ...args,
  ]
  const [cmd, ...rest] = pin ? ['taskset', '-c', String(core), ...node] : node
  return spawn(cmd as string, rest, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
}

/** The child's next `ev` event (matching `until`), or a rejection after `ms`, an error or an exit. */
export function next(child: ChildProcess, ev: string, ms: number, until?: (e: Event) => boolean) {
  return new Promise<Event>((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`timed out waiting for ${ev}`))
    }, ms)
    const onExit = (code: number | null) => {
      stop()
      reject(new Error(`process exited (${code}) while waiting for ${ev}`))
    }
    const onMessage = (e: Event) => {
      if (e.ev === 'error') {
        stop()
        return reject(new Error(String(e.message)))
      }
      if (e.ev !== ev || (until && !until(e))) return
      stop()
      resolve(e)
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
}

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

/** Runs every variant RUNS times, interleaved, and keeps each variant's results in order. */
export async function runAll<V extends string, R>(variants: V[], measure: (v: V) => Promise<R>) {
  const results = new Map<V, R[]>(variants.map((v) => [v, []]))
  for (let run = 0; run < RUNS; run++) {
    for (const variant of variants) results.get(variant)?.push(await measure(variant))
  }
  return results
}

export interface Column<R> {
  head: string
  value: (r: R) => number
  digits: number
  /** Print a "× ws" column after this one. */
  ratio?: boolean
}

/** Prints one row per variant: medians over runs, and ratios to the naive ws variant's median. */
export function table<V extends string, R>(results: Map<V, R[]>, columns: Column<R>[]) {
  const med = (variant: V, c: Column<R>) => median((results.get(variant) ?? []).map(c.value))
  const widths = columns.map((c) => Math.max(c.head.length, 8))
  const head = columns.map((c, i) => c.head.padStart(widths[i] ?? 8) + (c.ratio ? '  × ws' : ''))
  const label = Math.max(9, ...[...results.keys()].map((variant) => variant.length))
  console.log(`${'variant'.padEnd(label)} ${head.join('  ')}`)
  for (const variant of results.keys()) {
    const cells = columns.map((c, i) => {
      const value = med(variant, c)
      const base = med('ws' as V, c)
      const ratio = c.ratio ? `  ${(base ? value / base : 0).toFixed(2).padStart(4)}` : ''
      return value.toFixed(c.digits).padStart(widths[i] ?? 8) + ratio
    })
    console.log(`${variant.padEnd(label)} ${cells.join('  ')}`)
  }
}

/** Polls `check` every 20 ms until it holds, for at most `ms`. */
export async function until(what: string, ms: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Asks a bench process to exit, then kills it after 3 s. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  if (child.connected) child.send({ cmd: 'exit' })
  else child.kill()
  await exited
  clearTimeout(timer)
}
