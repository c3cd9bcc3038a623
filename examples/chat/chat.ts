// Chat demo: one room per URL (/chat/:room), nicknames, member list, typing indicator.
import { readFileSync } from 'node:fs'
import type { RequestListener } from 'node:http'
import { createWebSocket, type WSConnection } from 'roomcast'

const page = readFileSync(new URL('./public/index.html', import.meta.url))

const nickOf = (conn: WSConnection) => String(conn.metadata.nick)

export function createChat() {
  const wss = createWebSocket({ maxPayload: 16 * 1024 })
  const members = (room: string) => wss.getRoomConnections(room).map(nickOf)

  wss.on('/chat/:room', (conn) => {
    const room = conn.params.room as string
    conn.metadata.nick = (conn.query.get('nick') ?? '').trim().slice(0, 32) || 'anonymous'
    conn.join(room)
    conn.json({ type: 'welcome', room, nick: nickOf(conn), members: members(room) })
    conn.broadcastJson(room, { type: 'join', nick: nickOf(conn), members: members(room) })

    conn.on('message', (raw) => {
      let msg: { type?: unknown; text?: unknown; typing?: unknown }
      try {
        msg = JSON.parse(String(raw))
      } catch {
        return conn.json({ type: 'error', message: 'messages must be JSON' })
      }
      if (msg.type === 'message' && typeof msg.text === 'string' && msg.text.trim() !== '') {
        const text = msg.text.slice(0, 2000)
        wss.broadcastJsonToRoom(room, { type: 'message', nick: nickOf(conn), text, at: Date.now() })
      } else if (msg.type === 'typing') {
        conn.broadcastJson(room, {
          type: 'typing',
          nick: nickOf(conn),
          typing: msg.typing === true,
        })
      }
    })
    conn.on('close', () => {
      wss.broadcastJsonToRoom(room, { type: 'leave', nick: nickOf(conn), members: members(room) })
    })
  })

  const upgrade = wss.upgrade()
  const app: RequestListener = (req, res) =>
    upgrade(req, res, () => {
      if (req.url === '/' || req.url?.startsWith('/?')) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page)
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found')
      }
    })
  return { wss, app }
}
