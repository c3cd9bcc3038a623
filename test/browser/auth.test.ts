/** A browser sends its token in the one header it can set, Sec-WebSocket-Protocol; a bad one is refused. */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { createWebSocket, jwt, type RoomcastServer, type WSConnection } from '../../src/index.ts'
import { launchChromium } from '../helpers/browser.ts'
import { closeHttp, listenOnLoopback, recordingLogger } from '../helpers/server.ts'
import { SECRET, sign, tampered } from '../helpers/tokens.ts'

const PAGE = `<!doctype html><script>
  window.attempt = (token) => new Promise((resolve) => {
    const ws = new WebSocket('ws://' + location.host + '/app', ['chat.v1', token])
    ws.onopen = () => ws.send('hello')
    ws.onmessage = (event) => resolve({ opened: true, protocol: ws.protocol, reply: event.data })
    ws.onclose = (event) => resolve({ opened: false, code: event.code })
  })
</script>`

let browser: Browser
let wss: RoomcastServer
const http = createServer((_req, res) =>
  res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE),
)
const accepted: WSConnection[] = []
let port = 0

before(async () => {
  wss = createWebSocket({
    auth: jwt({ secret: SECRET, tokenFrom: 'protocol' }),
    subprotocols: ['chat.v1'],
    logger: recordingLogger(),
  })
  wss.on('/app', (conn) => {
    accepted.push(conn)
    conn.on('message', () => conn.send(`hi ${conn.userId}`))
  })
  wss.attach(http)
  port = await listenOnLoopback(http)
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await wss?.close()
  await closeHttp(http)
})

test('Chromium: the token rides in Sec-WebSocket-Protocol; the app protocol is selected, never the token', async () => {
  const page = await browser.newPage()
  page.setDefaultTimeout(5_000)
  await page.goto(`http://127.0.0.1:${port}/`)
  const token = await sign({ sub: 'browser-user' })
  const attempt = (t: string) => page.evaluate(`window.attempt(${JSON.stringify(t)})`)
  const outcome = await attempt(token)
  assert.deepEqual(outcome, { opened: true, protocol: 'chat.v1', reply: 'hi browser-user' })
  assert.equal(accepted.at(-1)?.protocol, 'chat.v1')
  // A refused handshake never opens: the browser sees 1006, the server counted a 401.
  const refused = await attempt(tampered(token))
  assert.deepEqual(refused, { opened: false, code: 1006 })
  assert.deepEqual(wss.getStats().handshakesRejected, { 401: 1 })
  await page.close()
})
