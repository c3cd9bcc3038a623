/** The admin page in headless Chromium: sign in, figures that move, a disconnect from the page, Basic auth. */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { ClusterAdapter, createInProcessBus } from '../../src/index.ts'
import { type AdminServer, startAdmin, TOKEN } from '../helpers/admin.ts'
import { launchChromium } from '../helpers/browser.ts'
import { closedOf } from '../helpers/client.ts'
import { eventually } from '../helpers/timeout.ts'

const SCREENSHOT = '/tmp/roomcast-admin.png'
/** A room name that would run script if the page ever rendered data as HTML. */
const HOSTILE_ROOM = '<img src=x onerror="alert(1)">'

let browser: Browser
const servers: AdminServer[] = []

before(async () => {
  browser = await launchChromium()
})

after(async () => {
  await browser?.close()
  for (const server of servers.splice(0).reverse()) await server.close()
})

/** Two nodes on one in-process bus, the admin page served by the first. */
async function cluster(): Promise<[AdminServer, AdminServer]> {
  const bus = createInProcessBus()
  for (let i = 0; i < 2; i++) {
    const adapter = new ClusterAdapter({ transport: bus.transport() })
    const server = await startAdmin({ refreshInterval: 200 }, { adapter })
    servers.push(server)
    await server.wss.ready()
  }
  const [a, b] = servers as [AdminServer, AdminServer]
  await eventually(() => a.wss.health().nodes === 2 && b.wss.health().nodes === 2, 'nodes meet')
  return [a, b]
}

async function openPage(url: string): Promise<{ page: Page; dialogs: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  page.setDefaultTimeout(5_000)
  const dialogs: string[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.accept()
  })
  await page.goto(url)
  return { page, dialogs }
}

const figure = (page: Page, name: string) => page.textContent(`#figure-${name}`)
/**
 * The page's `document` as the predicates below read it: they run in Chromium (as functions: the
 * page's CSP refuses string evaluation), and the tests compile without the DOM library.
 */
declare const document: { getElementById(id: string): { textContent: string | null } | null }

const waitForFigure = (page: Page, name: string, value: string) =>
  page.waitForFunction(([id, text]) => document.getElementById(id)?.textContent === text, [
    `figure-${name}`,
    value,
  ] as const)

test('sign in with the token; figures follow connections; a disconnect from the page closes that client', async () => {
  const [a, b] = await cluster()
  const { page, dialogs } = await openPage(`http://127.0.0.1:${a.port}/admin`)

  await page.waitForSelector('#login-form')
  await page.fill('#token', 'not the token')
  await page.click('#login-form button')
  await page.waitForSelector('#login-error:has-text("That token was refused.")')
  await page.fill('#token', TOKEN)
  await page.click('#login-form button')
  await page.waitForSelector('#dashboard:not([hidden])')
  assert.equal(await figure(page, 'connections'), '0')
  assert.equal(await figure(page, 'nodes'), '2 / 2')

  const alice = await a.open({ user: 'alice', rooms: ['lobby', 'games'] })
  await waitForFigure(page, 'connections', '1')
  assert.equal(await figure(page, 'users'), '1')
  assert.equal(await figure(page, 'rooms'), '2')
  const bob = await b.open({ user: 'bob', rooms: ['lobby'] })
  const carol = await b.open({ user: 'carol', rooms: ['support'] })
  await a.open({ rooms: [HOSTILE_ROOM] })
  await waitForFigure(page, 'connections', '4')
  assert.equal(await figure(page, 'users'), '3')
  await page.waitForSelector(`#rooms td:text-is(${JSON.stringify(HOSTILE_ROOM)})`)
  assert.equal(await page.locator('#rooms img').count(), 0, 'the room name stayed text')

  // Traffic, so the rates show something: 30 messages into bob's node.
  for (let i = 0; i < 30; i++) bob.send(`message ${i}`)
  await page.waitForFunction(() => Number(document.getElementById('figure-in')?.textContent) > 0)

  // A test message from the page to one room reaches its member on the other node.
  await page.selectOption('#broadcast-room', 'support')
  await page.fill('#broadcast-message', 'hello support')
  await page.click('#broadcast-form button')
  assert.equal(await carol.next(), 'hello support')
  await page.waitForSelector('#broadcast-result:has-text("Sent to room support")')

  await page.waitForSelector('#connections tbody tr:has-text("bob") td.mono')
  await page.screenshot({ path: SCREENSHOT, fullPage: true })

  const row = page.locator('#connections tbody tr', { hasText: 'bob' })
  await row.getByRole('button', { name: 'Disconnect', exact: true }).click()
  assert.deepEqual(await closedOf(bob), { code: 1008, reason: 'Disconnected by an administrator' })
  await waitForFigure(page, 'connections', '3')
  await page.waitForSelector('#action-result:has-text("Closed 1 connection.")')
  assert.equal(await page.locator('#connections tbody tr', { hasText: 'bob' }).count(), 0)

  await page
    .locator('#connections tbody tr', { hasText: 'alice' })
    .getByRole('button', { name: 'Disconnect user' })
    .click()
  assert.equal((await closedOf(alice)).code, 1008)
  await waitForFigure(page, 'users', '1')

  assert.ok(
    dialogs.some((d) => d.startsWith('confirm: Disconnect connection ')),
    dialogs.join('\n'),
  )
  assert.ok(
    dialogs.includes('confirm: Disconnect every connection of user alice?'),
    dialogs.join('\n'),
  )
  assert.ok(!dialogs.some((d) => d.startsWith('alert')), 'no script ran from data')

  await page.click('#sign-out')
  await page.waitForSelector('#login:not([hidden])')
  await page.close()
})

test('with Basic auth the browser signs in itself, and the page is 401 without credentials', async () => {
  const server = await startAdmin({ auth: { username: 'ops', password: 'secret' } })
  servers.push(server)
  await server.open({ user: 'dave' })
  const url = `http://127.0.0.1:${server.port}/admin`

  const anonymous = await browser.newPage()
  const refused = await anonymous.goto(url)
  assert.equal(refused?.status(), 401)
  assert.equal(
    await refused?.headerValue('www-authenticate'),
    'Basic realm="roomcast admin", charset="UTF-8"',
  )
  await anonymous.close()

  const context = await browser.newContext({
    httpCredentials: { username: 'ops', password: 'secret' },
  })
  const page = await context.newPage()
  page.setDefaultTimeout(5_000)
  const loaded = await page.goto(url)
  assert.equal(loaded?.status(), 200)
  await waitForFigure(page, 'connections', '1')
  assert.equal(await page.textContent('#connections tbody tr td:nth-child(2)'), 'dave')
  assert.equal(await page.isHidden('#sign-out'), true, 'nothing to sign out of with Basic')
  await context.close()
})
