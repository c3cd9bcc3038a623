/**
 * A redis-server behind a link the test can cut: it runs in a network
 * namespace of its own, reached over a veth pair private to this machine.
 * Taking the far end of the link down drops packets silently, as a real
 * partition does: no RST, no FIN, sockets stay open. Needs root and `ip`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import { delay } from './timeout.ts'

const run = promisify(execFile)

export interface PartitionedRedis {
  readonly url: string
  /** The link goes down: packets are dropped both ways, silently. */
  cut(): Promise<void>
  heal(): Promise<void>
  close(): Promise<void>
}

let created = 0

/** Why this machine cannot run the partition test, or `undefined` when it can. */
export async function partitionUnsupported(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root to create a network namespace'
  try {
    await run('ip', ['-V'])
  } catch {
    return 'needs the `ip` command (iproute2)'
  }
  return undefined
}

/**
 * Starts redis-server in a fresh namespace `rc<pid>-<n>` at 10.213.x.2.
 * @throws {Error} when the namespace, the link or the server cannot be set up.
 */
export async function partitionedRedis(): Promise<PartitionedRedis> {
  const n = created++
  const namespace = `rc${process.pid}-${n}`
  // Interface names are at most 15 characters.
  const id = `${process.pid % 100_000}${n}`.slice(-7)
  const [near, far] = [`rcn${id}`, `rcf${id}`]
  const subnet = `10.213.${(process.pid + n) % 250}`
  const host = `${subnet}.2`
  const port = 6379
  const steps: Array<string[]> = [
    ['netns', 'add', namespace],
    ['link', 'add', near, 'type', 'veth', 'peer', 'name', far],
    ['link', 'set', far, 'netns', namespace],
    ['addr', 'add', `${subnet}.1/30`, 'dev', near],
    ['link', 'set', near, 'up'],
    ['netns', 'exec', namespace, 'ip', 'addr', 'add', `${host}/30`, 'dev', far],
    ['netns', 'exec', namespace, 'ip', 'link', 'set', far, 'up'],
  ]
  let server: ChildProcess | undefined
  const close = async () => {
    server?.kill('SIGKILL')
    await run('ip', ['link', 'del', near]).catch(() => {})
    await run('ip', ['netns', 'del', namespace]).catch(() => {})
  }
  try {
    for (const step of steps) await run('ip', step)
    server = spawn(
      'ip',
      [
        ...['netns', 'exec', namespace, 'redis-server', '--port', String(port), '--bind', host],
        ...['--protected-mode', 'no', '--save', '', '--appendonly', 'no'],
      ],
      { stdio: 'ignore' },
    )
    await reachable(host, port, 5000)
  } catch (error) {
    await close()
    throw error
  }
  const link = (state: 'up' | 'down') => async () => {
    await run('ip', ['netns', 'exec', namespace, 'ip', 'link', 'set', far, state])
  }
  return { url: `redis://${host}:${port}`, cut: link('down'), heal: link('up'), close }
}

async function reachable(host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    const answered = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host)
      socket.setTimeout(300, () => socket.destroy())
      socket.once('data', (data) => {
        socket.destroy()
        resolve(data.toString().startsWith('+PONG'))
      })
      socket.once('connect', () => socket.write('PING\r\n'))
      // Refused while the server starts: 'close' follows and says so.
      socket.once('error', () => {})
      socket.once('close', () => resolve(false))
    })
    if (answered) return
    if (Date.now() > deadline)
      throw new Error(`redis in the namespace did not answer within ${ms} ms`)
    await delay(50)
  }
}
