// A throwaway redis-server for the cluster scenario: free loopback port, no persistence, pinned, killed on exit.
import { type ChildProcess, spawn } from 'node:child_process'
import { type AddressInfo, connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { pin } from './harness.ts'

export interface BenchRedis {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** SIGTERM, SIGKILL after 2 s; idempotent. */
  stop(): Promise<void>
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

/** True when `port` answers PING with +PONG within `ms`. */
function ping(port: number, ms = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const done = (ok: boolean) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), ms)
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => done(chunk.toString('latin1').startsWith('+PONG')))
    socket.on('error', () => done(false))
  })
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null

/**
 * Starts `redis-server` (or `$REDIS_SERVER`) on `core` when pinning, and resolves once it answers PING.
 * @throws {Error} when the binary is missing or the server is not up within 5 s.
 */
export async function startRedis(core: number): Promise<BenchRedis> {
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  args.push('--daemonize', 'no', '--dir', tmpdir(), '--loglevel', 'warning')
  const binary = process.env.REDIS_SERVER ?? 'redis-server'
  const [cmd, ...rest] = pin ? ['taskset', '-c', String(core), binary, ...args] : [binary, ...args]
  const child = spawn(cmd as string, rest, { stdio: ['ignore', 'ignore', 'inherit'] })
  const kill = () => child.kill('SIGKILL')
  // However this process ends (an error included), redis goes with it; SIGKILL of the parent excepted.
  process.once('exit', kill)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      kill()
      process.exit(130)
    })
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', (error) =>
      reject(new Error(`cannot start ${binary}: install redis-server (${error.message})`)),
    )
  })
  const deadline = Date.now() + 5000
  while (!(await ping(port))) {
    if (exited(child) || Date.now() > deadline) {
      kill()
      throw new Error(`redis-server on port ${port} did not answer PING within 5 s`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  let stopping: Promise<void> | undefined
  const stop = () => {
    stopping ??= new Promise<void>((resolve) => {
      if (exited(child)) return resolve()
      const timer = setTimeout(kill, 2000)
      child.once('exit', () => {
        clearTimeout(timer)
        process.off('exit', kill)
        resolve()
      })
      child.kill('SIGTERM')
    })
    return stopping
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop }
}
