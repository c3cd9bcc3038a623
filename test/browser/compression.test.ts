/** Shared-deflate broadcasts inflate correctly in Chromium, beside a ws client and a plain client. */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { RoomcastServer, WSConnection } from '../../src/index.ts'
import { connect } from '../helpers/client.ts'
import { type PageServer, pageServer } from '../helpers/page-server.ts'

const PAGE = `<!doctype html><script>
  window.received = []
  const ws = new WebSocket('ws://' + location.host + '/feed')
  ws.onmessage = (event) => window.received.push(event.data)
  ws.onopen = () => { window.opened = true }
</script>`

const BIG = `${'roomcast shared deflate '.repeat(2000)}end`

let browser: Browser
let wss: RoomcastServer
let served: PageServer | undefined
const conns: WSConnection[] = []
let port = 0

before(async () => {
  served = await pageServer(PAGE, { perMessageDeflate: true }, (server) =>
    server.on('/feed', (conn) => {
      conn.join('feed')
      conns.push(conn)
    }),
  )
  ;({ wss, browser, port } = served)
})

after(() => served?.close())

async function openPage(): Promise<Page> {
  const page = await browser.newPage()
  page.setDefaultTimeout(5_000)
  await page.goto(`http://127.0.0.1:${port}/`)
  await page.waitForFunction('window.opened === true')
  return page
}

test('Chromium pages and a ws client all inflate one shared compressed broadcast', async () => {
  const pages = [await openPage(), await openPage()]
  const wsClient = await connect(`ws://127.0.0.1:${port}/feed`, { perMessageDeflate: {} })
  const deadline = Date.now() + 3000
  while (conns.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  const offered = conns.map((c) => String(c.request.headers['sec-websocket-extensions'] ?? ''))
  assert.ok(
    offered.every((header) => header.includes('permessage-deflate')),
    `offers: ${offered}`,
  )

  const written = conns.map((c) => c.request.socket.bytesWritten)
  assert.equal(wss.to('feed').send(BIG), 3)
  assert.equal(wss.to('feed').json({ after: 'big' }), 3)

  for (const page of pages) {
    await page.waitForFunction('window.received.length === 2')
    const [first, second] = (await page.evaluate('window.received')) as string[]
    assert.equal(first, BIG)
    assert.equal(second, '{"after":"big"}')
  }
  assert.equal(await wsClient.next(), BIG)
  // Compressed on the wire to every peer: far fewer bytes than the 48 KB message.
  conns.forEach((c, i) => {
    const sent = c.request.socket.bytesWritten - (written[i] as number)
    assert.ok(sent < BIG.length / 10, `connection ${i} was sent ${sent} bytes`)
  })
  wsClient.close()
})
