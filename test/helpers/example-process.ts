/** Runs an example app as a child process on an ephemeral port: the port is read from the line it prints. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { connect, handshakeOutcome } from './client.ts'
import { within } from './timeout.ts'

export interface ExampleProcess {
  port: number
  stop(): void
}

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Starts `examples/<path>` with PORT=0 and waits for it to print `127.0.0.1:<port>`. */
export async function runExample(path: string, ms = 15_000): Promise<ExampleProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const stop = () => {
    child.kill('SIGKILL')
  }
  try {
    const port = await within(
      new Promise<number>((resolve, reject) => {
        let output = ''
        child.stdout.setEncoding('utf8')
        child.stdout.on('data', (chunk: string) => {
          output += chunk
          const match = /127\.0\.0\.1:(\d+)/.exec(output)
          if (match) resolve(Number(match[1]))
        })
        child.once('exit', (code) => reject(new Error(`${path} exited with ${code}: ${output}`)))
      }),
      ms,
      `${path} listening`,
    )
    return { port, stop }
  } catch (error) {
    stop()
    throw error
  }
}

/**
 * The chat room every framework example is: a handshake without `?name=` is
 * refused with 401, and a message reaches the room's other member as
 * `name: text`. Resolves with the example's port, for checks of its own.
 */
export async function assertChatExample(
  path: string,
  cleanups: Array<() => unknown>,
): Promise<number> {
  const example = await runExample(path)
  cleanups.push(() => example.stop())
  const url = (query: string) => `ws://127.0.0.1:${example.port}/chat/lobby${query}`
  assert.equal(await handshakeOutcome(url('')), 401)
  const ann = await connect(url('?name=ann'))
  const bo = await connect(url('?name=bo'))
  cleanups.push(() => {
    ann.ws.terminate()
    bo.ws.terminate()
  })
  ann.send('hi')
  assert.equal(await bo.next(), 'ann: hi')
  return example.port
}
