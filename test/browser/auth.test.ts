/** A browser sends its token in the one header it can set, Sec-WebSocket-Protocol; a bad one is refused. */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser } from 'playwright-core'
import { jwt, type RoomcastServer, type WSConnection } from '../../src/index.ts'
import { type PageServer, pageServer } from '../helpers/page-server.ts'
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
let served: PageServer | undefined
const accepted: WSConnection[] = []
let port = 0

before(async () => {
  const options = {
    auth: jwt({ secret: SECRET, tokenFrom: 'protocol' }),
    subprotocols: ['chat.v1'],
  }
  served = await pageServer(PAGE, options, (server) =>
    server.on('/app', (conn) => {
      accepted.push(conn)
      conn.on('message', () => conn.send(`hi ${conn.userId}`))
    }),
  )
  ;({ wss, browser, port } = served)
})

after(() => served?.close())

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
