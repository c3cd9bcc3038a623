/** A minimal roomcast-protocol client for server tests: positions kept, duplicates dropped (docs/protocol.md). */
import WebSocket from 'ws'
import { control, positionsParam } from './protocol.ts'
import { within } from './timeout.ts'

export interface ProtocolClient {
  ws: WebSocket
  sessionId: string
  recovered: boolean
  /** Message bodies delivered, duplicates dropped. */
  bodies: string[]
  positions: Record<string, [number, string]>
  /** Resolves once `bodies` holds `count` entries. */
  receive(count: number, ms?: number): Promise<void>
  closed: Promise<number>
}

type Resume = Pick<ProtocolClient, 'sessionId' | 'positions' | 'bodies'>

/** Opens `url` as a roomcast client; with `resume`, resumes that client's session. */
export async function openProtocolClient(url: string, resume?: Resume): Promise<ProtocolClient> {
  const query = resume
    ? `roomcast=1&roomcast_session=${resume.sessionId}&roomcast_positions=${positionsParam(resume.positions)}`
    : 'roomcast=1'
  const ws = new WebSocket(`${url}${url.includes('?') ? '&' : '?'}${query}`)
  ws.on('error', () => {})
  const bodies = resume?.bodies ?? []
  const positions: Record<string, [number, string]> = { ...(resume?.positions ?? {}) }
  let waiting: { count: number; resolve: () => void } | undefined
  let session: ((header: Record<string, unknown>) => void) | undefined
  const sessionFrame = new Promise<Record<string, unknown>>((resolve) => {
    session = resolve
  })
  const take = (message: string) => {
    const frame = control(message)
    if (frame === undefined) bodies.push(message)
    else if (frame.header.t === 'session') session?.(frame.header)
    else if (frame.header.t === 'join') {
      const { room, offset, epoch } = frame.header as {
        room: string
        offset: number
        epoch: string
      }
      const known = positions[room]
      if (known === undefined || known[1] !== epoch || known[0] < offset) {
        positions[room] = [offset, epoch]
      }
    } else if (frame.header.t === 'msg') {
      const p = (frame.header.p ?? []) as Array<[string, number, string]>
      const fresh =
        p.length === 0 ||
        p.some(([room, offset, epoch]) => {
          const known = positions[room]
          return known === undefined || known[1] !== epoch || known[0] < offset
        })
      if (fresh) {
        for (const [room, offset, epoch] of p) positions[room] = [offset, epoch]
        bodies.push(frame.body)
      }
    }
    if (waiting !== undefined && bodies.length >= waiting.count) waiting.resolve()
  }
  ws.on('message', (data: Buffer) => take(data.toString()))
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)))
  const header = await within(sessionFrame, 5000, 'session frame')
  return {
    ws,
    sessionId: String(header.id),
    recovered: header.recovered === true,
    bodies,
    positions,
    closed,
    receive: (count, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (bodies.length >= count) return resolve()
        const timer = setTimeout(
          () => reject(new Error(`received ${bodies.length} of ${count}`)),
          ms,
        )
        waiting = {
          count,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        }
      }),
  }
}
