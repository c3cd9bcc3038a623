/** Reading what the message layer sends: JSON text frames, parsed. */
import assert from 'node:assert/strict'
import type { TestClient } from './client.ts'

/** The client's next message, asserted to be a text frame and parsed as JSON. */
export async function nextJson(client: TestClient, ms?: number): Promise<unknown> {
  const message = await client.next(ms)
  assert.equal(typeof message, 'string', `expected a text frame, got bytes: ${String(message)}`)
  return JSON.parse(message as string)
}

/** The error reply a route object sends when a handler fails and it has no `onError`. */
export function routeErrorReply(code: string, message: string) {
  return { type: 'error', message, error: { code, message } }
}

/** What a route object answers when a handler's error does not opt in to being shown. */
export const INTERNAL_ERROR_REPLY = routeErrorReply('ERR_INTERNAL', 'Internal error')
