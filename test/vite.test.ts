/** roomcast/vite against a real Vite dev server and Chromium: HMR keeps working, handler modules reload with 1012. */
import assert from 'node:assert/strict'
import { symlink } from 'node:fs/promises'
import { createServer as createHttpServer } from 'node:http'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { preview } from 'vite'
import { createWebSocket, type RouteDefinition } from '../src/index.ts'
import { type UniversalApiOptions, universalApi } from '../src/vite.ts'
import { launchChromium } from './helpers/browser.ts'
import { assertStillOpen, connect, handshakeOutcome } from './helpers/client.ts'
import { nextJson } from './helpers/json.ts'
import { closeHttp, listenOnLoopback, recordingLogger } from './helpers/server.ts'
import { cleanupsAfterEach } from './helpers/teardown.ts'
import { eventually, within } from './helpers/timeout.ts'
import {
  type DevServer,
  offlineConfig,
  recordingViteLogger,
  startDev,
  type ViteProject,
  viteProject,
} from './helpers/vite-project.ts'

/** Seed 002's Basic Setup, as its vite.config writes it. */
const seedChat: RouteDefinition = {
  pattern: '/ws/chat',
  onConnect: (conn) => conn.send({ type: 'welcome', message: 'Welcome!' }),
  onMessage: (conn, data) => conn.broadcast(data, { includeSelf: true }),
}

const handlersModule = (version: number) => `export default [
  { pattern: '/ws/version', onConnect: (conn) => conn.send({ type: 'welcome', version: ${version} }) },
]
`

const labelModule = (text: string) => `document.querySelector('#label').textContent = '${text}'
if (import.meta.hot) import.meta.hot.accept()
`

/** The page: a self-accepting label module, and a socket per route that reconnects after 1012. */
const PAGE = {
  'index.html': `<!doctype html><p id="label"></p><script type="module" src="/main.js"></script>`,
  'main.js': `import './label.js'
window.pageLoad = Math.random()
window.hot = Boolean(import.meta.hot)
window.seen = { chat: [], version: [] }
window.closes = { chat: [], version: [] }
window.sockets = {}
const open = (name) => {
  const ws = new WebSocket('ws://' + location.host + '/api/ws/' + name)
  ws.onmessage = (event) => window.seen[name].push(JSON.parse(event.data))
  ws.onclose = (event) => {
    window.closes[name].push(event.code)
    if (event.code === 1012) open(name)
  }
  window.sockets[name] = ws
}
open('chat')
open('version')
`,
  'label.js': labelModule('label v1'),
  'handlers.ts': handlersModule(1),
}

let browser: Browser
before(async () => {
  browser = await launchChromium()
})
after(() => browser?.close())

const cleanups = cleanupsAfterEach()

describe('a page served by Vite, HMR connected, talking to wsHandlers', () => {
  let project: ViteProject
  let dev: DevServer
  let page: Page
  const logger = recordingViteLogger()
  let hmrClients = 0

  before(async () => {
    project = await viteProject(PAGE)
    dev = await startDev({
      ...offlineConfig(project.root, logger),
      plugins: [
        universalApi({
          endpointPrefix: '/api',
          enableWs: true,
          wsHandlers: [seedChat, './handlers.ts'],
        }),
      ],
    })
    dev.vite.ws.on('vite:client:connect', () => hmrClients++)
    page = await browser.newPage()
    await page.goto(dev.origin)
    await page.waitForFunction('window.seen.chat.length > 0 && window.seen.version.length > 0')
  })
  after(async () => {
    await page?.close()
    await dev?.close()
    await project?.remove()
  })

  test("the page's Vite client holds the HMR socket; the chat route greets and broadcasts with includeSelf", async () => {
    await eventually(() => hmrClients === 1, 'the vite-hmr socket connected', 5000)
    assert.equal(await page.evaluate('window.hot'), true)
    assert.deepEqual(await page.evaluate('window.seen.chat'), [
      { type: 'welcome', message: 'Welcome!' },
    ])
    const bob = await connect(`ws://127.0.0.1:${dev.port}/api/ws/chat`)
    cleanups.push(() => bob.ws.terminate())
    assert.deepEqual(await nextJson(bob), { type: 'welcome', message: 'Welcome!' })
    await page.evaluate(`window.sockets.chat.send('{"type":"join","username":"Alice"}')`)
    assert.deepEqual(await nextJson(bob), { type: 'join', username: 'Alice' })
    await page.waitForFunction('window.seen.chat.length === 2')
    assert.deepEqual(await page.evaluate('window.seen.chat[1]'), {
      type: 'join',
      username: 'Alice',
    })
  })

  test('editing a page module still hot-updates it, without a full reload', async () => {
    const load = await page.evaluate('window.pageLoad')
    await project.write({ 'label.js': labelModule('label v2') })
    const updated = `document.querySelector('#label').textContent === 'label v2'`
    await page.waitForFunction(updated, null, { timeout: 5000 })
    assert.equal(await page.evaluate('window.pageLoad'), load)
  })

  test("editing a handler module closes its route's connections with 1012; the reconnect gets the new code", async () => {
    const load = await page.evaluate('window.pageLoad')
    const httpServer = dev.vite.httpServer
    const node = await connect(`ws://127.0.0.1:${dev.port}/api/ws/version`)
    cleanups.push(() => node.ws.terminate())
    assert.deepEqual(await nextJson(node), { type: 'welcome', version: 1 })

    await project.write({ 'handlers.ts': handlersModule(2) })
    assert.equal((await within(node.closed, 5000, 'the 1012 close')).code, 1012)
    await page.waitForFunction('window.seen.version.at(-1)?.version === 2', null, { timeout: 5000 })
    assert.deepEqual(await page.evaluate('window.closes'), { chat: [], version: [1012] })
    assert.equal(await page.evaluate('window.pageLoad'), load, 'the page did not reload')
    assert.equal(dev.vite.httpServer, httpServer, 'the dev server did not restart')
    assert.equal(hmrClients, 1, 'the HMR socket stayed')
    const again = await connect(`ws://127.0.0.1:${dev.port}/api/ws/version`)
    cleanups.push(() => again.ws.terminate())
    assert.deepEqual(await nextJson(again), { type: 'welcome', version: 2 })
    assert.ok(
      logger.lines.includes(
        'info roomcast/vite: reloaded ./handlers.ts (1 route; 2 connections closed with 1012)',
      ),
      logger.lines.join('\n'),
    )
  })

  test('a handler module that fails to load keeps its previous routes and connections', async () => {
    const node = await connect(`ws://127.0.0.1:${dev.port}/api/ws/version`)
    cleanups.push(() => node.ws.terminate())
    assert.deepEqual(await nextJson(node), { type: 'welcome', version: 2 })
    await project.write({
      'handlers.ts': 'export default [{ pattern: "/ws/version", onConect() {} }]\n',
    })
    const failure = () => logger.lines.find((line) => line.includes('could not reload'))
    await eventually(() => failure() !== undefined, 'the reload failure logged', 5000)
    assert.equal(
      failure(),
      'error roomcast/vite: could not reload ./handlers.ts: route /ws/version: Unknown option "onConect": did you mean "onConnect"?; its previous routes stay',
    )
    // Refused by the server halfway through registering: the previous routes come back.
    const twice = `{ pattern: '/ws/version', onConnect: (conn) => conn.send('v3') }`
    await project.write({ 'handlers.ts': `export default [${twice}, ${twice}]\n` })
    const refused = () => logger.lines.find((line) => line.includes('is already registered'))
    await eventually(() => refused() !== undefined, 'the second reload failure logged', 5000)
    assert.match(
      refused() ?? '',
      /could not reload \.\/handlers\.ts: .*; its previous routes stay$/,
    )
    await node.nothingWithin(50)
    const still = await connect(`ws://127.0.0.1:${dev.port}/api/ws/version`)
    cleanups.push(() => still.ws.terminate())
    assert.deepEqual(await nextJson(still), { type: 'welcome', version: 2 })
    assert.ok(!logger.lines.some((line) => line.includes('could not upgrade')))
  })
})

test('editing a module the handler module imports reloads it, through a symlinked folder too', async () => {
  const shared = await viteProject({
    'greeting.ts': `export const greeting = 'hello'\n`,
    'handlers.ts': `import { greeting } from './greeting.ts'
export default [{ pattern: '/greet', onConnect: (conn) => conn.send(greeting) }]
`,
  })
  cleanups.push(() => shared.remove())
  const project = await viteProject({ 'index.html': '<!doctype html><p>hi</p>' })
  cleanups.push(() => project.remove())
  // Vite's graph and watcher name the handlers by their real path, outside the root.
  await symlink(shared.root, join(project.root, 'ws'))
  const dev = await startDev({
    ...offlineConfig(project.root, recordingViteLogger()),
    plugins: [universalApi({ endpointPrefix: '', wsHandlers: './ws/handlers.ts' })],
  })
  cleanups.push(() => dev.close())
  const first = await connect(`ws://127.0.0.1:${dev.port}/greet`)
  cleanups.push(() => first.ws.terminate())
  assert.equal(await first.next(), 'hello')
  await shared.write({ 'greeting.ts': `export const greeting = 'hi there'\n` })
  assert.equal((await within(first.closed, 5000, 'the 1012 close')).code, 1012)
  const second = await connect(`ws://127.0.0.1:${dev.port}/greet`)
  cleanups.push(() => second.ws.terminate())
  assert.equal(await second.next(), 'hi there')
})

/** A port nothing listens on, for Vite's HMR server of its own. */
async function freePort(): Promise<number> {
  const server = createNetServer()
  await within(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe("Vite's HMR socket is never roomcast's", () => {
  const variants = [
    { name: "Vite's listener first (its own order)", roomcastFirst: false, hmr: 'same' },
    { name: "roomcast's listener first", roomcastFirst: true, hmr: 'same' },
    { name: 'HMR on its own path, roomcast serving every path', roomcastFirst: false, hmr: 'path' },
    { name: 'HMR on its own port', roomcastFirst: false, hmr: 'port' },
  ] as const

  for (const variant of variants) {
    test(variant.name, async () => {
      const project = await viteProject({ 'index.html': '<!doctype html><p>hi</p>' })
      cleanups.push(() => project.remove())
      const logger = recordingViteLogger()
      const hmrPort = variant.hmr === 'port' ? await freePort() : undefined
      const everyPath = variant.hmr === 'path'
      const config = offlineConfig(project.root, logger)
      const dev = await startDev({
        ...config,
        server: {
          ...config.server,
          ws:
            variant.hmr === 'path'
              ? { path: '/hmr' }
              : hmrPort === undefined
                ? {}
                : { port: hmrPort },
        },
        plugins: [
          universalApi({
            endpointPrefix: everyPath ? '' : '/api',
            wsHandlers: [{ ...seedChat, pattern: everyPath ? '*' : '/ws/chat' }],
          }),
        ],
      })
      cleanups.push(() => dev.close())
      const http = dev.vite.httpServer
      assert.ok(http !== null)
      if (variant.roomcastFirst) {
        const listeners = http.listeners('upgrade') as Array<(...args: unknown[]) => void>
        assert.equal(listeners.length, 2, "Vite's HMR listener, then roomcast's")
        http.removeAllListeners('upgrade')
        for (const listener of listeners.reverse()) http.on('upgrade', listener)
      }

      const hmrUrl = `ws://127.0.0.1:${hmrPort ?? dev.port}${everyPath ? '/hmr' : '/'}`
      const hmr = await connect(hmrUrl, { protocols: 'vite-hmr' })
      cleanups.push(() => hmr.ws.terminate())
      assert.deepEqual(await nextJson(hmr), { type: 'connected' })
      const ping = await connect(hmrUrl, { protocols: 'vite-ping' })
      assert.equal((await within(ping.closed)).code, 1000, 'Vite answers its ping')
      const chatUrl = `ws://127.0.0.1:${dev.port}${everyPath ? '/hmr' : '/api/ws/chat'}`
      const chat = await connect(chatUrl)
      cleanups.push(() => chat.ws.terminate())
      assert.deepEqual(await nextJson(chat), { type: 'welcome', message: 'Welcome!' })
      if (hmrPort !== undefined) {
        // Alone on Vite's http server, roomcast answers the paths it does not serve.
        assert.equal(await handshakeOutcome(`ws://127.0.0.1:${dev.port}/nope`), 404)
      }
      dev.vite.ws.send({ type: 'custom', event: 'still-hmr', data: 1 })
      assert.deepEqual(await nextJson(hmr), { type: 'custom', event: 'still-hmr', data: 1 })
      assert.deepEqual(
        logger.lines.filter((line) => /could not upgrade|error/i.test(line)),
        [],
      )
    })
  }
})

describe('vite preview', () => {
  test('serves wsHandlers from a TypeScript module beside the built page, and closes them with the preview server', async () => {
    const project = await viteProject({
      'dist/index.html': '<!doctype html><p>built</p>',
      // TypeScript syntax: Node 20 cannot import it; Vite's module runner can.
      'handlers.ts': `export type Version = number\n${handlersModule(7)}`,
    })
    cleanups.push(() => project.remove())
    const config = offlineConfig(project.root, recordingViteLogger())
    const server = await within(
      preview({
        ...config,
        preview: { host: '127.0.0.1', port: 0, strictPort: true },
        plugins: [universalApi({ wsHandlers: ['./handlers.ts'] })],
      }),
      10_000,
      'vite preview',
    )
    cleanups.push(() => server.close())
    const address = server.httpServer.address()
    assert.ok(address !== null && typeof address === 'object')
    const page = await fetch(`http://127.0.0.1:${address.port}/`)
    assert.match(await page.text(), /built/)
    const client = await connect(`ws://127.0.0.1:${address.port}/api/ws/version`)
    cleanups.push(() => client.ws.terminate())
    assert.deepEqual(await nextJson(client), { type: 'welcome', version: 7 })
    await within(server.close(), 5000, 'preview close')
    await within(client.closed, 3000, 'the connection closed with the preview server')
  })
})

describe('universalApi() options', () => {
  const loose = (options: Record<string, unknown>) => options as UniversalApiOptions

  test("seed 002's REST options are refused: roomcast/vite serves WebSocket handlers only", () => {
    assert.throws(() => universalApi(loose({ enableWs: true, handlers: [] })), {
      code: 'ERR_INVALID_OPTION',
      message:
        'universalApi: Unknown option "handlers" (vite-plugin-universal-api\'s name): roomcast/vite serves WebSocket handlers only; serve REST mocks from a Vite middleware (server.middlewares.use() in configureServer), or keep vite-plugin-universal-api for them with enableWs: false',
    })
    for (const key of ['fsDir', 'handlerMiddlewares', 'pagination', 'delay']) {
      assert.throws(() => universalApi(loose({ [key]: 1 })), {
        message: new RegExp(
          `^universalApi: Unknown option "${key}" .*: roomcast/vite serves WebSocket handlers only;`,
        ),
      })
    }
    assert.throws(() => universalApi(loose({ disable: true })), {
      message:
        'universalApi: Unknown option "disable" (vite-plugin-universal-api\'s name): use enableWs: false',
    })
  })

  test('a near miss, a server option at the top level, roomcast.path and a bad route are refused', () => {
    assert.throws(() => universalApi(loose({ wsHandler: [] })), {
      code: 'ERR_INVALID_OPTION',
      message: 'universalApi: Unknown option "wsHandler": did you mean "wsHandlers"?',
    })
    assert.throws(() => universalApi(loose({ maxConnections: 10 })), {
      message:
        'universalApi: Unknown option "maxConnections": roomcast/vite takes endpointPrefix, enableWs, wsHandlers and roomcast (the server\'s options, as in roomcast: { maxConnections })',
    })
    assert.throws(() => universalApi(loose({ roomcast: { path: '/ws' } })), {
      message:
        'universalApi: roomcast.path is not taken: the paths roomcast serves are the wsHandlers patterns, under endpointPrefix',
    })
    assert.throws(() => universalApi({ roomcast: { heartbeatInterval: -1 } }), {
      code: 'ERR_INVALID_OPTION',
      message: /heartbeatInterval/,
    })
    assert.throws(
      () =>
        universalApi({ wsHandlers: [loose({ pattern: '/x', onMesage() {} }) as RouteDefinition] }),
      {
        code: 'ERR_INVALID_OPTION',
        message: 'route /x: Unknown option "onMesage": did you mean "onMessage"?',
      },
    )
    assert.throws(() => universalApi({ endpointPrefix: 'api' }), {
      message: 'universalApi: endpointPrefix "api" must start with "/"',
    })
  })

  test('enableWs: false, or nothing to serve: a plugin without hooks', () => {
    const off = universalApi({ enableWs: false, wsHandlers: [seedChat] })
    assert.deepEqual(Object.keys(off), ['name'])
    assert.deepEqual(Object.keys(universalApi()), ['name'])
  })
})

describe('wss.removeRoute()', () => {
  test('later handshakes are not routed to it, its connections stay open, its pattern is free again', async () => {
    const wss = createWebSocket({ logger: recordingLogger() })
    const http = createHttpServer()
    wss.attach(http)
    const port = await listenOnLoopback(http)
    cleanups.push(() => closeHttp(http))
    cleanups.push(() => wss.close())
    const url = (path: string) => `ws://127.0.0.1:${port}${path}`
    wss.route({ pattern: '/a/:id', maxPayload: 64, onConnect: (conn) => conn.send('one') })
    wss.on('/b', (conn) => conn.send('b'))
    const first = await connect(url('/a/1'))
    assert.equal(await first.next(), 'one')

    assert.equal(wss.removeRoute('/a/:other'), false, 'the pattern as registered, not its shape')
    assert.equal(wss.removeRoute('/a/:id'), true)
    assert.equal(wss.removeRoute('/a/:id'), false)
    assert.equal(await handshakeOutcome(url('/a/1')), 404)
    await assertStillOpen(first)
    first.send('still here')

    wss.route({ pattern: '/a/:id', onConnect: (conn) => conn.send('two') })
    const second = await connect(url('/a/2'))
    assert.equal(await second.next(), 'two')
    assert.equal(wss.removeRoute('/b'), true)
    assert.equal(await handshakeOutcome(url('/b')), 404)
    first.close()
    second.close()
    await within(Promise.all([first.closed, second.closed]))
  })
})

describe('examples/vite', () => {
  test('runs with its own config file: its page chats over /api/ws/chat beside HMR', async () => {
    const root = fileURLToPath(new URL('../examples/vite', import.meta.url))
    const logger = recordingViteLogger()
    const dev = await startDev({
      ...offlineConfig(root, logger),
      configFile: join(root, 'vite.config.ts'),
    })
    cleanups.push(() => dev.close())
    const page = await browser.newPage()
    cleanups.push(() => page.close())
    await page.goto(`${dev.origin}/?name=ann`)
    await page.waitForSelector('#log li:has-text("welcome, ann")')
    const bo = await connect(`ws://127.0.0.1:${dev.port}/api/ws/chat?name=bo`)
    cleanups.push(() => bo.ws.terminate())
    assert.deepEqual(await nextJson(bo), { type: 'welcome', name: 'bo' })
    await page.fill('#text', 'hi')
    await page.click('button')
    assert.deepEqual(await nextJson(bo), { type: 'chat', from: 'ann', text: 'hi' })
    await page.waitForSelector('#log li:has-text("ann: hi")')
    assert.deepEqual(
      logger.lines.filter((line) => /error/i.test(line)),
      [],
    )
  })
})
