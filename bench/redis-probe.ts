// What the orchestrator asks the bench's own redis-server: channel subscribers, and commands run per command name.
import type { createClient } from 'redis'

export type Redis = ReturnType<typeof createClient>

export async function numsub(redis: Redis, channel: string): Promise<number> {
  const reply = (await redis.sendCommand(['PUBSUB', 'NUMSUB', channel])) as [string, number]
  return Number(reply[1])
}

/** Calls and µs of Redis CPU per command name, from `INFO commandstats` (script-internal calls included). */
export type CommandStats = Map<string, { calls: number; usec: number }>

export async function commandStats(redis: Redis): Promise<CommandStats> {
  const text = String(await redis.sendCommand(['INFO', 'commandstats']))
  const stats: CommandStats = new Map()
  for (const line of text.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line)
    if (match) stats.set(match[1] as string, { calls: Number(match[2]), usec: Number(match[3]) })
  }
  return stats
}

/** `after - before` per command, leaving out the INFO calls that took the samples. */
export function delta(before: CommandStats, after: CommandStats): CommandStats {
  const out: CommandStats = new Map()
  for (const [name, { calls, usec }] of after) {
    if (name === 'info') continue
    const was = before.get(name) ?? { calls: 0, usec: 0 }
    if (calls > was.calls) out.set(name, { calls: calls - was.calls, usec: usec - was.usec })
  }
  return out
}

/** CPU seconds the redis-server has used (user + system, main thread and all). */
export async function cpuSeconds(redis: Redis): Promise<number> {
  const text = String(await redis.sendCommand(['INFO', 'cpu']))
  const value = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1])
  return value('used_cpu_user') + value('used_cpu_sys')
}
