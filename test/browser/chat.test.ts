/** The chat demo in headless Chromium: two pages in one room talk, a third room hears nothing. */
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { type RoomcastServer, withWebSocket } from 'roomcast'
import { createChat } from '../../examples/chat/chat.ts'
import { launchChromium } from '../helpers/browser.ts'
import { joinAs as joinPage, say } from '../helpers/chat-page.ts'

let browser: Browser
let server: Server
let wss: RoomcastServer
let origin: string

before(async () => {
  const chat = createChat()
  wss = chat.wss
  server = await withWebSocket(chat.app, chat.wss, 0, '127.0.0.1')
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  await wss?.close()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

const joinAs = (nick: string, room: string): Promise<Page> => joinPage(browser, origin, nick, room)

test('two pages in one room see each other; another room sees nothing', async () => {
  const alice = await joinAs('alice', 'lobby')
  const bob = await joinAs('bob', 'lobby')
  const carol = await joinAs('carol', 'games')

  await alice.waitForFunction(`document.querySelector('#members')?.textContent === 'alicebob'`)
  assert.equal(await bob.textContent('#members'), 'alicebob')
  assert.equal(await carol.textContent('#members'), 'carol')

  await bob.type('#text', 'h')
  await alice.waitForSelector('#typing:has-text("bob typing")')

  await say(alice, 'hello from alice')
  await bob.waitForSelector('#log li:has-text("alice: hello from alice")')
  await alice.waitForSelector('#log li:has-text("alice: hello from alice")')
  await say(bob, 'hi alice')
  await alice.waitForSelector('#log li:has-text("bob: hi alice")')

  await say(carol, 'anyone?')
  await carol.waitForSelector('#log li:has-text("carol: anyone?")')
  const lobbyLog = await alice.textContent('#log')
  assert.ok(!lobbyLog?.includes('carol'), `lobby saw another room's traffic: ${lobbyLog}`)
  assert.ok(!(await carol.textContent('#log'))?.includes('alice'), 'games saw lobby traffic')

  await bob.close()
  await alice.waitForSelector('#log li:has-text("bob left")')
  assert.equal(await alice.textContent('#members'), 'alice')
  assert.deepEqual(wss.getRooms().sort(), ['games', 'lobby'])
})
