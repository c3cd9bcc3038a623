/** A browser test's setup: one HTML page and a roomcast server on one loopback port, and Chromium. */
import { createServer } from 'node:http'
import type { Browser } from 'playwright-core'
import { createWebSocket, type RoomcastServer, type WebSocketOptions } from '../../src/index.ts'
import { launchChromium } from './browser.ts'
import { closeHttp, listenOnLoopback, recordingLogger } from './server.ts'

export interface PageServer {
  wss: RoomcastServer
  browser: Browser
  port: number
  close(): Promise<void>
}

/** Serves `html` at every HTTP path; `setup` registers the routes the page talks to. */
export async function pageServer(
  html: string,
  options: WebSocketOptions,
  setup: (wss: RoomcastServer) => void,
): Promise<PageServer> {
  const http = createServer((_req, res) =>
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(html),
  )
  const wss = createWebSocket({ logger: recordingLogger(), ...options })
  setup(wss)
  wss.attach(http)
  const port = await listenOnLoopback(http)
  const browser = await launchChromium()
  return {
    wss,
    browser,
    port,
    close: async () => {
      await browser.close()
      await wss.close()
      await closeHttp(http)
    },
  }
}
