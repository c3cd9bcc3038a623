/** Type tests for the client's contract typing: checked by `tsc --noEmit`, never run (not in the test list). */

import {
  type ActionSpec,
  type Contract,
  createClient,
  type MessageData,
  type SpecReply,
} from '../src/client/index.ts'
import type {
  Contract as ServerContract,
  SpecReply as ServerSpecReply,
} from '../src/message/typed.ts'

interface ChatContract {
  chat: {
    send: { data: { text: string }; reply: { messageId: number } }
    typing: { data: { username: string } }
  }
  presence: { list: { reply: string[] } }
}

export async function typedRequests(): Promise<void> {
  const client = createClient<ChatContract>('ws://localhost/chat')

  const sent: { messageId: number } = await client.request('chat', 'send', { text: 'hi' })
  const list: string[] = await client.request('presence', 'list', undefined, { timeout: 100 })
  const typing: undefined = await client.request('chat', 'typing', { username: 'a' })
  void [sent, list, typing]

  // @ts-expect-error wrong payload: text must be a string
  await client.request('chat', 'send', { text: 1 })
  // @ts-expect-error wrong payload: a field the contract does not declare
  await client.request('chat', 'send', { body: 'hi' })
  // @ts-expect-error the action declares no data
  await client.request('presence', 'list', { all: true })
  // @ts-expect-error wrong reply type: the reply is { messageId: number }
  const wrong: { messageId: string } = await client.request('chat', 'send', { text: 'hi' })
  // @ts-expect-error unknown action
  await client.request('chat', 'delete', { text: 'hi' })
  // @ts-expect-error unknown type
  await client.request('admin', 'kick', {})
  void wrong
}

export async function untypedRequests(): Promise<void> {
  const client = createClient('ws://localhost/chat')
  const reply: unknown = await client.request('anything', 'goes', { at: 'all' })
  // @ts-expect-error without a contract the reply is unknown, not any
  const text: string = await client.request('anything', 'goes', null)
  void [reply, text]
}

export function listeners(): void {
  const client = createClient('ws://localhost/chat')
  client.on('open', ({ recovered, sessionId }) => void [recovered satisfies boolean, sessionId])
  client.on('reconnecting', ({ attempt, delay }) => void (attempt + delay))
  client.on('lobby', (data: MessageData, { rooms }) => void [data, rooms])
  client.room('open').on((data) => void data)
  // @ts-expect-error the open event carries an object, not a message
  client.on('open', (data: string) => void data)
  // @ts-expect-error an unknown option
  createClient('ws://localhost/', { retries: 3 })
}

// The client's contract types are the server's: one contract serves both sides.
export const sameContract: Contract<ChatContract> extends ServerContract<ChatContract>
  ? true
  : false = true
export const sameReply: SpecReply<ActionSpec> extends ServerSpecReply<ActionSpec> ? true : false =
  true
