// What both halves of the history scenario share: the history size, the cores, and starting history-server.ts nodes.
import type { ChildProcess } from 'node:child_process'
import { arg, next, start } from './harness.ts'

export const HISTORY_SIZE = arg('history-size', '1000')
/** Server i runs on SERVER_CORES[i mod length]; the load and redis share LOAD_CORE (when pinning). */
export const SERVER_CORES = arg('server-cores', '0').split(',').map(Number)
export const LOAD_CORE = Number(arg('load-core', '1'))

/** Starts `nodes` bench servers; resolves with them and their ports once all listen. */
export async function startNodes(nodes: number, args: string[]) {
  const servers: ChildProcess[] = []
  for (let i = 0; i < nodes; i++) {
    const core = SERVER_CORES[i % SERVER_CORES.length] ?? 0
    servers.push(start(core, './history-server.ts', args))
  }
  const ready = await Promise.all(servers.map((s) => next(s, 'ready', 15_000)))
  return { servers, ports: ready.map((e) => e.port as number) }
}
