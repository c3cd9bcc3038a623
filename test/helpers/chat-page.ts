/** Drives the chat demo's page in a browser: join a room under a nickname, say something. */
import type { Browser, Page } from 'playwright-core'

/** Opens the page at `origin`, joins `room` as `nick` and waits until it is in. */
export async function joinAs(
  browser: Browser,
  origin: string,
  nick: string,
  room: string,
): Promise<Page> {
  const page = await browser.newPage()
  page.setDefaultTimeout(5_000)
  await page.goto(origin)
  await page.fill('#nick', nick)
  await page.fill('#room', room)
  await page.click('#join button')
  await page.waitForSelector(`#status:has-text("in #${room}")`)
  return page
}

export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text)
  await page.click('#send-button')
}
