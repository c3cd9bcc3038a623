/** `perMessageDeflate.strict` (seed 002): a client whose offer cannot match gets 400 before the upgrade. */
import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { after, describe, test } from 'node:test'
import type { PerMessageDeflateOptions, WebSocketOptions } from '../src/index.ts'
import { connect } from './helpers/client.ts'
import { rawUpgrade, statusOf, upgradeRequest } from './helpers/raw-socket.ts'
import { recordingLogger, startServer, type TestServer } from './helpers/server.ts'

const sockets: Socket[] = []
after(() => {
  for (const socket of sockets) socket.destroy()
})

/** The status a hand-made upgrade to `path` gets, offering `extensions` (none when undefined). */
async function statusFor(srv: TestServer, extensions?: string, path = '/'): Promise<number> {
  const headers = extensions === undefined ? {} : { 'Sec-WebSocket-Extensions': extensions }
  const { socket, head } = await rawUpgrade(srv.port, upgradeRequest(path, headers), sockets)
  socket.destroy()
  return statusOf(head)
}

async function withServer(
  options: WebSocketOptions,
  run: (srv: TestServer) => Promise<void>,
): Promise<void> {
  const srv = await startServer(options, (wss) => {
    wss.on('/', () => {})
    wss.route({
      pattern: '/strict-route',
      perMessageDeflate: { clientMaxWindowBits: 12, strict: true },
    })
  })
  try {
    await run(srv)
  } finally {
    await srv.close()
  }
}

const strict = (params: PerMessageDeflateOptions): WebSocketOptions => ({
  perMessageDeflate: { ...params, strict: true },
})

describe('perMessageDeflate.strict: true', () => {
  test('a client that offers no permessage-deflate gets exactly 400', async () => {
    await withServer(strict({}), async (srv) => {
      assert.equal(await statusFor(srv), 400)
      assert.equal(await statusFor(srv, 'x-webkit-deflate-frame'), 400)
      await assert.rejects(connect(srv.url('/'), { perMessageDeflate: false }), { status: 400 })
      assert.equal(await statusFor(srv, 'permessage-deflate'), 101)
    })
  })

  test("a real ws client's default offer matches", async () => {
    await withServer(strict({ serverMaxWindowBits: 12, clientMaxWindowBits: 12 }), async (srv) => {
      const client = await connect(srv.url('/'))
      assert.match(String(client.headers['sec-websocket-extensions']), /permessage-deflate/)
      client.close()
    })
  })

  test('clientMaxWindowBits: the offer must carry client_max_window_bits, bare or not smaller', async () => {
    await withServer(strict({ clientMaxWindowBits: 10 }), async (srv) => {
      assert.equal(await statusFor(srv, 'permessage-deflate'), 400)
      assert.equal(await statusFor(srv, 'permessage-deflate; client_max_window_bits=9'), 400)
      assert.equal(await statusFor(srv, 'permessage-deflate; client_max_window_bits'), 101)
      assert.equal(await statusFor(srv, 'permessage-deflate; client_max_window_bits=10'), 101)
      assert.equal(await statusFor(srv, 'permessage-deflate; client_max_window_bits=15'), 101)
    })
  })

  test('serverMaxWindowBits: a client may not ask for a smaller server window', async () => {
    await withServer(strict({ serverMaxWindowBits: 13 }), async (srv) => {
      assert.equal(await statusFor(srv, 'permessage-deflate; server_max_window_bits=10'), 400)
      assert.equal(await statusFor(srv, 'permessage-deflate; server_max_window_bits=13'), 101)
      assert.equal(await statusFor(srv, 'permessage-deflate; server_max_window_bits=15'), 101)
      assert.equal(await statusFor(srv, 'permessage-deflate'), 101)
    })
  })

  test('context takeover set to false: the offer must not give it up', async () => {
    await withServer(
      { compression: 'dedicated', ...strict({ serverNoContextTakeover: false }) },
      async (srv) => {
        assert.equal(await statusFor(srv, 'permessage-deflate; server_no_context_takeover'), 400)
        assert.equal(await statusFor(srv, 'permessage-deflate'), 101)
      },
    )
    await withServer(strict({ clientNoContextTakeover: false }), async (srv) => {
      assert.equal(await statusFor(srv, 'permessage-deflate; client_no_context_takeover'), 400)
      assert.equal(await statusFor(srv, 'permessage-deflate'), 101)
    })
  })

  test('takeover set to true is always met: the server declares it', async () => {
    await withServer(strict({ clientNoContextTakeover: true }), async (srv) => {
      assert.equal(await statusFor(srv, 'permessage-deflate'), 101)
    })
  })

  test('any matching offer among several is enough', async () => {
    await withServer(strict({ clientMaxWindowBits: 11 }), async (srv) => {
      const offers =
        'permessage-deflate; client_max_window_bits=9, permessage-deflate; client_max_window_bits'
      assert.equal(await statusFor(srv, offers), 101)
    })
  })

  test("a route object's strict deflate applies to that route only", async () => {
    await withServer({}, async (srv) => {
      assert.equal(await statusFor(srv, undefined, '/strict-route'), 400)
      assert.equal(await statusFor(srv, 'permessage-deflate', '/strict-route'), 400)
      assert.equal(
        await statusFor(srv, 'permessage-deflate; client_max_window_bits', '/strict-route'),
        101,
      )
      assert.equal(await statusFor(srv, undefined, '/'), 101)
    })
  })

  test('the refusal is counted and, with debug, logged with the mismatch', async () => {
    const logger = { ...recordingLogger(), lines: [] as string[] }
    const debug = (message: string) => logger.lines.push(message)
    await withServer(
      { debug: true, logger: { ...logger, debug }, ...strict({ clientMaxWindowBits: 10 }) },
      async (srv) => {
        assert.equal(await statusFor(srv, 'permessage-deflate'), 400)
        assert.deepEqual(srv.wss.getStats().handshakesRejected, { 400: 1 })
        const line = logger.lines.find((l) => l.includes('handshake refused'))
        assert.match(
          String(line),
          /400 permessage-deflate mismatch \(strict\): the client does not offer client_max_window_bits; clientMaxWindowBits is 10/,
        )
      },
    )
  })
})

describe('perMessageDeflate without strict (the default)', () => {
  test('a client that cannot match connects uncompressed or as ws negotiates', async () => {
    await withServer(
      { perMessageDeflate: { clientMaxWindowBits: 10, clientNoContextTakeover: false } },
      async (srv) => {
        assert.equal(await statusFor(srv), 101)
        assert.equal(
          await statusFor(
            srv,
            'permessage-deflate; client_no_context_takeover; client_max_window_bits',
          ),
          101,
        )
        // ws itself refuses an offer it can accept in no way.
        assert.equal(await statusFor(srv, 'permessage-deflate'), 400)
      },
    )
  })

  test('strict must be a boolean; an unknown key is refused', async () => {
    await assert.rejects(startServer({ perMessageDeflate: { strict: 'yes' as never } }), {
      code: 'ERR_INVALID_OPTION',
      message: 'Invalid option "perMessageDeflate.strict": expected true or false, got "yes"',
    })
    await assert.rejects(startServer({ perMessageDeflate: { strikt: true } as never }), {
      code: 'ERR_INVALID_OPTION',
      message: 'Unknown option "perMessageDeflate.strikt": did you mean "strict"?',
    })
  })
})
