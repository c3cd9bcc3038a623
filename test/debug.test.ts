/** `debug: true`: handshakes, refusals with their status and reason, joins, leaves and closes. */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Logger } from '../src/index.ts'
import { connect } from './helpers/client.ts'
import { rawRequest, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { recordingLogger, startServer, type TestServer } from './helpers/server.ts'
import { delay, eventually } from './helpers/timeout.ts'

/** A logger with `debug()`, recording each line by level. */
function debugLogger(): Logger & { lines: string[]; others: string[] } {
  const lines: string[] = []
  const others: string[] = []
  return {
    lines,
    others,
    error: (message) => others.push(message),
    warn: (message) => others.push(message),
    info: (message) => others.push(`info ${message}`),
    debug: (message) => lines.push(message),
  }
}

/** Resolves with the first line matching `pattern`, once one was logged. */
async function logged(lines: string[], pattern: RegExp): Promise<string> {
  await eventually(() => lines.some((l) => pattern.test(l)), `a line matching ${pattern}`)
  return lines.find((l) => pattern.test(l)) as string
}

async function withServer(
  options: Parameters<typeof startServer>[0],
  run: (srv: TestServer) => Promise<void>,
): Promise<void> {
  const srv = await startServer(options, (wss) =>
    wss.on('/chat/:room', (conn) => {
      conn.join(conn.params.room as string)
      conn.on('message', (text) => {
        if (String(text) === 'leave') conn.leave(conn.params.room as string)
      })
    }),
  )
  try {
    await run(srv)
  } finally {
    await srv.close()
  }
}

describe('debug: true', () => {
  test('a refused handshake is logged with its status and reason', async () => {
    const logger = debugLogger()
    await withServer(
      { debug: true, logger, allowedOrigins: ['https://app.example'] },
      async (srv) => {
        await assert.rejects(connect(srv.url('/chat/a'), { origin: 'https://evil.example' }), {
          status: 403,
        })
        const line = await logged(logger.lines, /handshake refused/)
        assert.match(line, /403 origin not allowed: https:\/\/evil\.example/)
        assert.match(line, /\/chat\/a from 127\.0\.0\.1/)

        const missing = await rawRequest(srv.port, upgradeRequest('/chat/a'))
        assert.equal(statusOf(missing), 403)
        await logged(logger.lines, /403 origin missing \(allowedOrigins is set\)/)

        const nowhere = await rawRequest(
          srv.port,
          upgradeRequest('/elsewhere', { Origin: 'https://app.example' }),
        )
        assert.equal(statusOf(nowhere), 404)
        await logged(logger.lines, /handshake refused: 404 No WebSocket route for \/elsewhere/)
      },
    )
  })

  test('401 says which hook refused, 503 why', async () => {
    const logger = debugLogger()
    await withServer(
      {
        debug: true,
        logger,
        maxConnections: 1,
        verifyClient: (req) => !req.url?.includes('deny'),
      },
      async (srv) => {
        await assert.rejects(connect(srv.url('/chat/deny')), { status: 401 })
        await logged(logger.lines, /handshake refused: 401 verifyClient returned false/)
        const first = await connect(srv.url('/chat/a'))
        await assert.rejects(connect(srv.url('/chat/b')), { status: 503 })
        await logged(logger.lines, /503 at the connection limit \(maxConnections 1\)/)
        first.close()
      },
    )
  })

  test('an accepted handshake, a join, a leave and a close with code and reason', async () => {
    const logger = debugLogger()
    await withServer({ debug: true, logger }, async (srv) => {
      const client = await connect(srv.url('/chat/lobby'))
      await logged(logger.lines, /handshake accepted \(\/chat\/lobby from 127\.0\.0\.1\)/)
      const joined = await logged(logger.lines, /joined room "lobby"/)
      const id = /connection (\S+) joined/.exec(joined)?.[1]
      assert.ok(id)
      client.send('leave')
      await logged(logger.lines, new RegExp(`connection ${id} left room "lobby"`))
      client.close(4000, 'bye now')
      const closed = await logged(logger.lines, /closed:/)
      assert.equal(closed, `roomcast: connection ${id} closed: 4000 "bye now" (by the client)`)
      assert.deepEqual(logger.others, [])
    })
  })

  test('a close while in rooms names them; a server close says so', async () => {
    const logger = debugLogger()
    await withServer({ debug: true, logger }, async (srv) => {
      const client = await connect(srv.url('/chat/games'))
      await logged(logger.lines, /joined room "games"/)
      srv.wss.closeAll(4001, 'maintenance')
      await client.closed
      const closed = await logged(logger.lines, /closed:/)
      assert.match(closed, /closed: 4001 "maintenance" \(by the server, leaving "games"\)/)
    })
  })

  test('without debug() the lines go to info(), without either to warn()', async () => {
    const infos: string[] = []
    const infoOnly: Logger = { ...recordingLogger(), info: (message) => infos.push(message) }
    await withServer({ debug: true, logger: infoOnly }, async (srv) => {
      const client = await connect(srv.url('/chat/x'))
      await logged(infos, /joined room "x"/)
      client.close()
    })
    const warnOnly = recordingLogger()
    const warned = () => warnOnly.entries.filter((e) => e.level === 'warn').map((e) => e.message)
    await withServer({ debug: true, logger: warnOnly }, async (srv) => {
      const client = await connect(srv.url('/chat/y'))
      await eventually(() => warned().some((m) => m.includes('joined room "y"')), 'warn line')
      client.close()
    })
  })

  test('a logger that throws breaks neither the handshake nor the close', async () => {
    const logger = {
      ...recordingLogger(),
      debug: () => {
        throw new Error('broken logger')
      },
    }
    await withServer({ debug: true, logger }, async (srv) => {
      const client = await connect(srv.url('/chat/z'))
      client.close(1000)
      assert.equal((await client.closed).code, 1000)
    })
  })
})

describe('debug off (the default)', () => {
  test('logs nothing for handshakes, joins or closes', async () => {
    const logger = debugLogger()
    await withServer({ logger, allowedOrigins: ['https://app.example'] }, async (srv) => {
      await assert.rejects(connect(srv.url('/chat/a'), { origin: 'https://evil.example' }), {
        status: 403,
      })
      const client = await connect(srv.url('/chat/a'), { origin: 'https://app.example' })
      client.close(1000)
      await client.closed
      await delay(20)
    })
    assert.deepEqual(logger.lines, [])
    assert.deepEqual(logger.others, [])
  })

  test('debug must be a boolean', async () => {
    await assert.rejects(startServer({ debug: { printRoutes: true } as never }), {
      code: 'ERR_INVALID_OPTION',
      message:
        'Invalid option "debug": PXL\'s { printRoutes } has no roomcast form; debug: true logs handshakes, refusals, joins, leaves and closes',
    })
    await assert.rejects(startServer({ debug: 'yes' as never }), {
      code: 'ERR_INVALID_OPTION',
      message: 'Invalid option "debug": expected true or false, got "yes"',
    })
  })
})
