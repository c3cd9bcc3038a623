/** Seed 004's chat conversation (its ChatController's send and typing), asserted from both ends. */
import assert from 'node:assert/strict'
import type { TestClient } from './client.ts'
import { nextJson } from './json.ts'

const request = (client: TestClient, envelope: Record<string, unknown>) =>
  client.send(JSON.stringify(envelope))

/** Alice sends, both see the broadcast and Alice the ack; Bob types, Alice sees it and Bob the ack. */
export async function assertSeedChat(alice: TestClient, bob: TestClient): Promise<void> {
  request(alice, {
    type: 'chat',
    action: 'send',
    data: { username: 'Alice', text: 'Hello everyone!' },
    requestId: 'm1',
  })
  for (const client of [alice, bob]) {
    const broadcast = (await nextJson(client)) as { data: { timestamp: string } }
    assert.ok(!Number.isNaN(Date.parse(broadcast.data.timestamp)))
    assert.deepEqual(broadcast, {
      type: 'chat',
      action: 'message',
      data: {
        username: 'Alice',
        message: 'Hello everyone!',
        timestamp: broadcast.data.timestamp,
      },
    })
  }
  const ack = (await nextJson(alice)) as { data: { messageId: number } }
  assert.equal(typeof ack.data.messageId, 'number')
  assert.deepEqual(ack, {
    type: 'chat',
    action: 'send',
    requestId: 'm1',
    data: { success: true, messageId: ack.data.messageId },
  })

  request(bob, { type: 'chat', action: 'typing', data: { username: 'Bob' } })
  assert.deepEqual(await nextJson(alice), {
    type: 'chat',
    action: 'userTyping',
    data: { username: 'Bob' },
  })
  assert.deepEqual(await nextJson(bob), {
    type: 'chat',
    action: 'typing',
    data: { success: true },
  })
  await Promise.all([alice.nothingWithin(30), bob.nothingWithin(30)])
}
