/** What a child process prints: stdout as JSON lines, stderr as text (for the failure message). */
import type { ChildProcessWithoutNullStreams } from 'node:child_process'

export interface ChildOutput<Line> {
  /** Every JSON line printed so far. */
  lines: Line[]
  stderr(): string
}

export function watchOutput<Line = Record<string, unknown>>(
  child: ChildProcessWithoutNullStreams,
): ChildOutput<Line> {
  const lines: Line[] = []
  let stderr = ''
  let buffered = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      lines.push(JSON.parse(buffered.slice(0, end)) as Line)
      buffered = buffered.slice(end + 1)
    }
  })
  return { lines, stderr: () => stderr }
}
