/** Counts the process's open sockets, servers and timers, to check that a close leaves none behind. */
import assert from 'node:assert/strict'
import { delay } from './timeout.ts'

const KINDS = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'] as const
type Counts = Record<(typeof KINDS)[number], number>

/** How many of each kind are open now. */
export function openHandles(): Counts {
  const resources = process.getActiveResourcesInfo()
  const counts = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 }
  for (const kind of resources) if (kind in counts) counts[kind as keyof Counts]++
  return counts
}

/** Resolves once no more of each kind are open than in `before`; fails after `ms` with both counts. */
export async function handlesAfterClose(before: Counts, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  const leaked = () => KINDS.some((kind) => openHandles()[kind] > before[kind])
  while (leaked() && Date.now() < deadline) await delay(10)
  assert.deepEqual(
    KINDS.filter((kind) => openHandles()[kind] > before[kind]),
    [],
    `handles left open: ${JSON.stringify(openHandles())}, before: ${JSON.stringify(before)}`,
  )
}
