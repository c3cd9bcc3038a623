// The chat page, and the built browser client (roomcast/client's dist/client/*.js) it imports.
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const page = readFileSync(new URL('./public/index.html', import.meta.url))
const clientDir = dirname(fileURLToPath(import.meta.resolve('roomcast/client')))
// One plain file name: no slashes, dots or escapes, so nothing outside clientDir is reachable.
const CLIENT_FILE = /^\/client\/([a-z0-9-]+\.js)$/

function reply(res: ServerResponse, status: number, type: string, body: Buffer | string): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache' }).end(body)
}

/** `/` is the page, `GET /client/<name>.js` a module of the client; anything else is a 404. */
export function serveStatic(req: IncomingMessage, res: ServerResponse): void {
  const [pathname] = (req.url ?? '/').split('?', 1) as [string]
  const file = CLIENT_FILE.exec(pathname)?.[1]
  if (pathname === '/') {
    reply(res, 200, 'text/html; charset=utf-8', page)
  } else if (file !== undefined && req.method === 'GET') {
    readFile(join(clientDir, file)).then(
      (body) => reply(res, 200, 'text/javascript; charset=utf-8', body),
      () => reply(res, 404, 'text/plain', 'Not found'),
    )
  } else {
    reply(res, 404, 'text/plain', 'Not found')
  }
}
