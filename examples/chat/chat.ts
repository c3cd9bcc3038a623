// Chat demo: one room per URL (/chat/:room), nicknames, members, typing, history and recovery.
import type { RequestListener } from 'node:http'
import { type Adapter, createWebSocket, type WSConnection } from 'roomcast'
import { serveStatic } from './static.ts'

const nickOf = (conn: WSConnection) => String(conn.metadata.nick)

export interface ChatOptions {
  /** `roomcast/redis`'s adapter, so history and sessions outlive the process. @default memory */
  adapter?: Adapter
}

export function createChat(options: ChatOptions = {}) {
  const wss = createWebSocket({
    maxPayload: 16 * 1024,
    history: { size: 50, ttl: 10 * 60_000 },
    recovery: { maxDisconnection: 2 * 60_000 },
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
  })
  const members = (room: string) => wss.getRoomConnections(room).map(nickOf)
  /** The rest of the connection's room. */
  const others = (conn: WSConnection) => wss.to(conn.params.room as string).except(conn)
  // Volatile, so never in history: a late joiner gets the list in its welcome instead.
  const roster = (conn: WSConnection) =>
    others(conn).volatile.json({ type: 'members', members: members(conn.params.room as string) })

  wss.on('/chat/:room', (conn) => {
    const room = conn.params.room as string
    if (conn.recovered) {
      // Its room, nick and missed messages are back; the member lists went without it.
      conn.json({ type: 'members', members: members(room) })
      roster(conn)
      others(conn).json({ type: 'back', nick: nickOf(conn) })
    } else {
      conn.metadata.nick = (conn.query.get('nick') ?? '').trim().slice(0, 32) || 'anonymous'
      conn.join(room, { history: 20 })
      conn.json({ type: 'welcome', room, nick: nickOf(conn), members: members(room) })
      roster(conn)
      others(conn).json({ type: 'join', nick: nickOf(conn) })
    }

    conn.on('message', (raw) => {
      let msg: { type?: unknown; text?: unknown; typing?: unknown }
      try {
        msg = JSON.parse(String(raw))
      } catch {
        return conn.json({ type: 'error', message: 'messages must be JSON' })
      }
      if (msg.type === 'message' && typeof msg.text === 'string' && msg.text.trim() !== '') {
        const text = msg.text.slice(0, 2000)
        wss.to(room).json({ type: 'message', nick: nickOf(conn), text, at: Date.now() })
      } else if (msg.type === 'typing') {
        others(conn).volatile.json({
          type: 'typing',
          nick: nickOf(conn),
          typing: msg.typing === true,
        })
      }
    })
    conn.on('close', () => {
      roster(conn)
      // except(conn): should this client come back recovered, its catch-up skips its own leave.
      others(conn).json({ type: 'leave', nick: nickOf(conn) })
    })
  })

  const upgrade = wss.upgrade()
  const app: RequestListener = (req, res) => upgrade(req, res, () => serveStatic(req, res))
  return { wss, app }
}
