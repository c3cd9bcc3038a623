/** How the admin handler answers: JSON bodies and error statuses, never cached, never sniffed. */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

const NO_STORE = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const

export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const body = JSON.stringify(value)
  response.writeHead(status, {
    ...NO_STORE,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  })
  response.end(body)
}

/** `{ error }` with the status: what the page shows, and what a script can read. */
export function sendError(
  response: ServerResponse,
  status: number,
  error: string,
  headers: OutgoingHttpHeaders = {},
): void {
  sendJson(response, status, { error }, headers)
}

export function sendPage(
  response: ServerResponse,
  page: Buffer,
  headers: OutgoingHttpHeaders,
  head: boolean,
): void {
  response.writeHead(200, { ...headers, 'Content-Length': page.length })
  response.end(head ? undefined : page)
}
