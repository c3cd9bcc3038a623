/** Runs an example app as a child process on an ephemeral port: the port is read from the line it prints. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
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
