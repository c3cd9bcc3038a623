// The chat room: seed 002's route objects, served at /api/ws/chat and reloaded when this file changes.
import type { RouteDefinition } from 'roomcast'

export default [
  {
    pattern: '/ws/chat',
    defaultRoom: 'general',
    onConnect: (conn, request) => {
      const name = new URL(request.url ?? '/', 'ws://x').searchParams.get('name') ?? 'guest'
      conn.metadata.name = name
      conn.send({ type: 'welcome', name })
    },
    onMessage: (conn, text) => {
      const message = { type: 'chat', from: conn.metadata.name, text: String(text) }
      conn.broadcast(message, { room: 'general', includeSelf: true })
    },
  },
] satisfies RouteDefinition[]
