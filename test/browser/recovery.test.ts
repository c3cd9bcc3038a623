/** The chat demo in Chromium survives a server restart and a network blip, and shows history. */
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { type RoomcastServer, withWebSocket } from 'roomcast'
import { createChat } from '../../examples/chat/chat.ts'
import { launchChromium } from '../helpers/browser.ts'
import { joinAs as joinPage, say } from '../helpers/chat-page.ts'
import { within } from '../helpers/timeout.ts'

let browser: Browser
let server: Server
let wss: RoomcastServer
/** Found once: a restart listens on the same port, as a redeployed server would. */
let port = 0

async function start(): Promise<void> {
  const chat = createChat()
  wss = chat.wss
  server = await withWebSocket(chat.app, chat.wss, port, '127.0.0.1')
  port = (server.address() as AddressInfo).port
}

async function stop(): Promise<void> {
  await within(wss.close(), 8000, 'wss.close()')
  server.closeAllConnections()
  await within(new Promise((resolve) => server.close(resolve)), 2000, 'server.close()')
}

before(async () => {
  await start()
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await stop()
})

const joinAs = (nick: string, room: string): Promise<Page> =>
  joinPage(browser, `http://127.0.0.1:${port}`, nick, room)

/** The page's chat lines (`nick: text`), without the system lines. */
async function chatLines(page: Page): Promise<string[]> {
  return page.$$eval('#log li:not(.system)', (items) => items.map((li) => li.textContent ?? ''))
}

function connectionOf(nick: string) {
  const conn = wss.getConnections().find((c) => c.metadata.nick === nick)
  assert.ok(conn, `no connection for ${nick}`)
  return conn
}

test('both pages reconnect by themselves after a restart; a message typed meanwhile arrives', async () => {
  const alice = await joinAs('alice', 'restart')
  const bob = await joinAs('bob', 'restart')
  await alice.waitForFunction(`document.querySelector('#members')?.textContent === 'alicebob'`)

  await stop()
  await alice.waitForSelector('#status:has-text("reconnecting")')
  await bob.waitForSelector('#status:has-text("reconnecting")')
  await say(alice, 'typed while down')
  await alice.waitForSelector('#log li:has-text("queued until reconnected: typed while down")')
  await start()

  await alice.waitForSelector('#status:has-text("in #restart (reconnected)")')
  await bob.waitForSelector('#status:has-text("in #restart (reconnected)")')
  await bob.waitForSelector('#log li:has-text("alice: typed while down")')
  await alice.waitForSelector('#log li:has-text("alice: typed while down")')
  // Either may have reconnected first.
  const bothIn = `['alicebob', 'bobalice'].includes(document.querySelector('#members')?.textContent)`
  await alice.waitForFunction(bothIn)
  await bob.waitForFunction(bothIn)
  assert.deepEqual(await chatLines(bob), ['alice: typed while down'])
  await say(bob, 'after the restart')
  await alice.waitForSelector('#log li:has-text("bob: after the restart")')
  await alice.close()
  await bob.close()
})

test('a blipped page is recovered and shows every message sent meanwhile exactly once', async () => {
  const carol = await joinAs('carol', 'blip')
  const dave = await joinAs('dave', 'blip')
  await say(carol, 'before the blip')
  await dave.waitForSelector('#log li:has-text("carol: before the blip")')
  const first = connectionOf('carol')

  first.terminate()
  // Dave keeps talking through carol's absence, her reconnect and her catch-up.
  const sent = ['carol: before the blip']
  for (let i = 1; i <= 40; i++) {
    await say(dave, `m${i}`)
    sent.push(`dave: m${i}`)
    if (i >= 3 && (await carol.isVisible('#status:has-text("recovered")'))) break
  }
  await carol.waitForSelector('#status:has-text("in #blip (recovered")')
  for (const text of ['after 1', 'after 2']) {
    await say(dave, text)
    sent.push(`dave: ${text}`)
  }
  await carol.waitForSelector('#log li:has-text("dave: after 2")')
  await dave.waitForSelector('#log li:has-text("dave: after 2")')

  assert.deepEqual(await chatLines(carol), sent)
  assert.deepEqual(await chatLines(dave), sent)
  const recovered = connectionOf('carol')
  assert.notEqual(recovered, first)
  assert.equal(recovered.recovered, true)
  assert.deepEqual(recovered.getRooms(), ['blip'])
  // Carol's own leave is not replayed to her; dave saw her go and come back.
  assert.ok(!(await carol.textContent('#log'))?.includes('carol left'))
  await dave.waitForSelector('#log li:has-text("carol is back")')
  await dave.waitForFunction(`document.querySelector('#members')?.children.length === 2`)
  await carol.close()
  await dave.close()
})

test('a page that joins late sees the recent history, but no typing indicators', async () => {
  const erin = await joinAs('erin', 'history')
  const frank = await joinAs('frank', 'history')
  await say(erin, 'first')
  await frank.type('#text', 'x')
  await erin.waitForSelector('#typing:has-text("frank typing")')
  await say(frank, 'second')
  await erin.waitForSelector('#log li:has-text("frank: second")')

  const grace = await joinAs('grace', 'history')
  await grace.waitForSelector('#log li:has-text("frank: second")')
  assert.deepEqual(await chatLines(grace), ['erin: first', 'frank: second'])
  assert.equal(await grace.textContent('#members'), 'erinfrankgrace')
  assert.equal(await grace.textContent('#typing'), '')
  await erin.waitForSelector('#log li:has-text("grace joined")')
  await erin.waitForFunction(`document.querySelector('#members')?.textContent === 'erinfrankgrace'`)

  const kept = await wss.history('history')
  const types = kept.messages.map((m) => (JSON.parse(String(m.data)) as { type: string }).type)
  assert.deepEqual(types, ['join', 'join', 'message', 'message', 'join'])
  for (const page of [erin, frank, grace]) await page.close()
})
