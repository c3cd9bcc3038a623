/** The redis-server harness: free port, PING over raw TCP, restart on the same port, and no leftovers. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import {
  ping,
  REDIS_NOT_FOUND,
  type RedisProcess,
  rawCommand,
  startRedis,
} from './helpers/redis.ts'
import { delay, within } from './helpers/timeout.ts'

const started: RedisProcess[] = []
after(async () => {
  for (const redis of started) await redis.kill()
})

async function start(): Promise<RedisProcess> {
  const redis = await within(startRedis(), 8000, 'startRedis')
  started.push(redis)
  return redis
}

describe('startRedis', () => {
  test('starts on a free loopback port and answers PING over a raw socket', async () => {
    const redis = await start()
    assert.ok(redis.port > 0)
    assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`)
    assert.equal(redis.running, true)
    assert.equal(await rawCommand(redis.port, 'PING'), '+PONG')
    await redis.stop()
  })

  test('two servers get different ports', async () => {
    const [a, b] = await Promise.all([start(), start()])
    assert.notEqual(a.port, b.port)
    await Promise.all([a.stop(), b.stop()])
  })

  test('restart() comes back on the same port as a fresh, empty server', async () => {
    const redis = await start()
    const { port, url } = redis
    assert.equal(await rawCommand(port, 'SET greeting hello'), '+OK')
    await redis.restart()
    assert.equal(redis.port, port)
    assert.equal(redis.url, url)
    assert.equal(await rawCommand(port, 'PING'), '+PONG')
    assert.equal(await rawCommand(port, 'GET greeting'), '$-1') // nothing persisted
    await redis.stop()
  })

  test('stop() waits for the exit, so the port refuses at once; it is idempotent', async () => {
    const redis = await start()
    await redis.stop()
    assert.equal(redis.running, false)
    await assert.rejects(rawCommand(redis.port, 'PING'), { code: 'ECONNREFUSED' })
    await redis.stop()
  })

  test('kill() drops it like a crash; start() brings it back on the same port', async () => {
    const redis = await start()
    await redis.kill()
    assert.equal(await ping(redis.port), false)
    await redis.start()
    assert.equal(redis.running, true)
    assert.equal(await ping(redis.port), true)
    await redis[Symbol.asyncDispose]()
    assert.equal(await ping(redis.port), false)
  })

  test('a missing binary fails with the install hint', async () => {
    await assert.rejects(startRedis({ binary: '/nonexistent/redis-server' }), {
      message: REDIS_NOT_FOUND,
    })
  })
})

/** Polls until nothing answers PING on `port`. */
async function gone(port: number, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms
  while (await ping(port, 200)) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} outlived its process`)
    await delay(20)
  }
}

describe('no redis-server outlives its test process', () => {
  const helper = fileURLToPath(new URL('./helpers/redis.ts', import.meta.url))

  /** Starts redis in a child process, ends that process by `ending`, and resolves with redis's port. */
  async function portAfterChildEnds(ending: 'throw' | 'SIGTERM'): Promise<number> {
    const script = [
      `import { startRedis } from ${JSON.stringify(helper)}`,
      'const redis = await startRedis()',
      'console.log(redis.port)',
      ending === 'throw' ? "throw new Error('a failing test')" : 'setInterval(() => {}, 1000)',
    ].join('\n')
    const args = ['--import', 'tsx', '--input-type=module', '--eval', script]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stderr.resume()
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      if (ending === 'SIGTERM' && output.includes('\n')) child.kill('SIGTERM')
    })
    try {
      await within(once(child, 'exit'), 10_000, 'child process exit')
    } finally {
      child.kill('SIGKILL')
    }
    const port = Number.parseInt(output, 10)
    assert.ok(port > 0, `the child printed no port: ${JSON.stringify(output)}`)
    return port
  }

  test('the child throws after starting it', async () => {
    await gone(await portAfterChildEnds('throw'))
  })

  test('the child is sent SIGTERM (and still dies of it)', async () => {
    await gone(await portAfterChildEnds('SIGTERM'))
  })
})
