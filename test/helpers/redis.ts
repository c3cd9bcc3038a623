/** Runs a real redis-server on a free loopback port, so tests can stop, kill and restart it. */
import { type ChildProcess, spawn } from 'node:child_process'
import { type AddressInfo, connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delay, within } from './timeout.ts'

export const REDIS_NOT_FOUND =
  'redis-server not found: install it (apt-get install redis-server) — .ci/run does this'

export interface RedisProcess extends AsyncDisposable {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** True from a successful start until stop() or kill(). */
  readonly running: boolean
  /** Starts it again on the same port after stop() or kill(); does nothing while running. */
  start(): Promise<void>
  /** SIGTERM, then waits for the exit (SIGKILL if it takes over 5 s). Idempotent. */
  stop(): Promise<void>
  /** SIGKILL, as a crash would, and waits for the exit. Idempotent. */
  kill(): Promise<void>
  /** stop() then start() on the same port: a fresh, empty server at the same URL. */
  restart(): Promise<void>
  /** SIGSTOP: the process freezes, its sockets stay open and the kernel keeps accepting. */
  freeze(): void
  /** SIGCONT after freeze(). */
  thaw(): void
}

export interface StartRedisOptions {
  /** @default process.env.REDIS_SERVER ?? 'redis-server' */
  binary?: string
  /** How long the server has to answer PING after each start. @default 5000 */
  readyTimeoutMs?: number
  /** Runs the server through this command, e.g. `['taskset', '-c', '1']` to pin it (benchmarks). */
  launcher?: string[]
}

// Servers started here that have not exited. A test process that ends any way
// but SIGKILL takes them down, so a failed run never leaves redis-server behind.
const live = new Set<ChildProcess>()
let exitHookInstalled = false

function killLeftovers(): void {
  for (const child of live) child.kill('SIGKILL')
}

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', killLeftovers)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killLeftovers()
      // Our listener replaced the default action; re-raise so the process still dies of it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
    })
  }
}

/** Sends one inline command (`PING`, `SET k v`) on a fresh socket; resolves with the first reply line. */
export function rawCommand(port: number, command: string, ms = 1000): Promise<string> {
  return within(
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1')
      let reply = ''
      socket.setEncoding('latin1')
      socket.on('connect', () => socket.write(`${command}\r\n`))
      socket.on('data', (chunk) => {
        reply += chunk
        const end = reply.indexOf('\r\n')
        if (end === -1) return
        socket.destroy()
        resolve(reply.slice(0, end))
      })
      socket.on('error', reject)
      socket.on('close', () => reject(new Error(`connection closed before a reply to ${command}`)))
    }),
    ms,
    `redis ${command} on port ${port}`,
  )
}

/** True when a server on `port` answers `+PONG`. */
export async function ping(port: number, ms = 500): Promise<boolean> {
  return rawCommand(port, 'PING', ms).then(
    (reply) => reply === '+PONG',
    () => false,
  )
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

function exitOf(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

async function launch(
  binary: string,
  port: number,
  readyTimeoutMs: number,
  launcher: string[] = [],
): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  args.push('--daemonize', 'no', '--dir', tmpdir(), '--loglevel', 'warning')
  const [command, ...rest] = [...launcher, binary, ...args]
  const child = spawn(command as string, rest, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-2000)
  }
  child.stdout?.setEncoding('utf8').on('data', keep)
  child.stderr?.setEncoding('utf8').on('data', keep)
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(REDIS_NOT_FOUND, { cause: error })
    }
    throw error
  }
  child.on('error', () => {}) // after spawn, only a failed kill(): nothing to do about it
  installExitHook()
  live.add(child)
  child.once('exit', () => live.delete(child))

  const deadline = Date.now() + readyTimeoutMs
  while (!(await ping(port))) {
    const exited = hasExited(child)
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL')
      await exitOf(child)
      const why = exited ? `exited (${child.signalCode ?? child.exitCode})` : 'did not answer PING'
      throw new Error(`redis-server on port ${port} ${why} within ${readyTimeoutMs} ms:\n${output}`)
    }
    await delay(20)
  }
  return child
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = exitOf(child)
  child.kill(signal)
  try {
    await within(exited, 5000, 'redis-server exit')
  } catch {
    child.kill('SIGKILL')
    await exited
  }
}

/**
 * Starts `redis-server` on a free 127.0.0.1 port, without persistence, and
 * resolves once it answers PING.
 * @throws {Error} {@link REDIS_NOT_FOUND} when the binary is missing.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  const binary = options.binary ?? process.env.REDIS_SERVER ?? 'redis-server'
  const readyTimeoutMs = options.readyTimeoutMs ?? 5000
  let port = await freePort()
  let child: ChildProcess | undefined
  // Another process may grab the port between our probe and redis binding it: retry on a new one.
  for (let attempt = 1; child === undefined; attempt++) {
    try {
      child = await launch(binary, port, readyTimeoutMs, options.launcher)
    } catch (error) {
      if (attempt === 3 || (error as Error).message === REDIS_NOT_FOUND) throw error
      port = await freePort()
    }
  }

  // One operation at a time, so restart() racing stop() cannot leave two servers.
  let pending: Promise<unknown> = Promise.resolve()
  const serial = (operation: () => Promise<void>): Promise<void> => {
    const next = pending.then(operation)
    pending = next.catch(() => {})
    return next
  }
  const down = (signal: NodeJS.Signals) => async () => {
    const current = child
    child = undefined
    // A frozen process would hold SIGTERM until it runs again.
    current?.kill('SIGCONT')
    if (current !== undefined) await terminate(current, signal)
  }
  const send = (signal: NodeJS.Signals) => {
    if (child === undefined || !child.kill(signal))
      throw new Error(`redis-server: ${signal} not sent`)
  }
  // A server that died on its own counts as stopped, so start() brings it back.
  const running = () => child !== undefined && !hasExited(child)
  const up = async () => {
    if (!running()) child = await launch(binary, port, readyTimeoutMs, options.launcher)
  }

  const stop = () => serial(down('SIGTERM'))
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return running()
    },
    start: () => serial(up),
    stop,
    kill: () => serial(down('SIGKILL')),
    restart: () =>
      serial(async () => {
        await down('SIGTERM')()
        await up()
      }),
    freeze: () => send('SIGSTOP'),
    thaw: () => send('SIGCONT'),
    [Symbol.asyncDispose]: stop,
  }
}

/** A redis-server of the test's own, killed after the test, so stopping it touches no other test. */
export async function ownRedis(cleanups: Array<() => unknown>): Promise<RedisProcess> {
  const redis = await within(startRedis(), 8000, 'startRedis')
  cleanups.push(() => redis.kill())
  return redis
}
