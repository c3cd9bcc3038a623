/** Admin page tests: a server with the admin handler in front, clients with users and rooms, raw HTTP calls. */
import { type IncomingHttpHeaders, type RequestListener, request, type Server } from 'node:http'
import { type AdminHandler, type AdminOptions, adminHandler } from '../../src/admin.ts'
import type { RoomcastServer, WebSocketOptions } from '../../src/index.ts'
import { connect, type TestClient } from './client.ts'
import { startServer } from './server.ts'
import { within } from './timeout.ts'

export const TOKEN = 'correct horse battery staple'
export const bearer = { Authorization: `Bearer ${TOKEN}` }
/** What the page itself sends with every POST. */
export const postHeaders = {
  ...bearer,
  'Content-Type': 'application/json',
  'X-Roomcast-Admin': '1',
}

export const basic = (username: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
})

export interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  text: string
  json(): unknown
}

export interface HttpCall {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string | object
}

/** One HTTP request on 127.0.0.1, every header as given (Origin included), bounded. */
export function call(port: number, { method = 'GET', path, headers = {}, body }: HttpCall) {
  const payload =
    body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  return within(
    new Promise<HttpResult>((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port, method, path, headers }, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text,
            json: () => JSON.parse(text),
          })
        })
      })
      outgoing.on('error', reject)
      outgoing.end(payload)
    }),
    3000,
    `${method} ${path}`,
  )
}

/** `?user=u1&rooms=a,b`: the user becomes `conn.userId`; the rooms are joined, then "ready" is sent. */
export function chatRoutes(wss: RoomcastServer): void {
  wss.on('/ws', (conn) => {
    for (const room of conn.query.get('rooms')?.split(',') ?? []) if (room) conn.join(room)
    conn.send('ready')
  })
}

export const identityOptions: WebSocketOptions = {
  verifyClient: (req) => {
    const user = new URL(req.url ?? '/', 'http://localhost').searchParams.get('user')
    return user === null ? true : { userId: user }
  },
}

export interface AdminServer {
  wss: RoomcastServer
  http: Server
  port: number
  /** Opens a client on `/ws` with a user and rooms, once its rooms are joined. */
  open(query?: { user?: string; rooms?: string[] }): Promise<TestClient>
  close(): Promise<void>
}

/**
 * A roomcast server on a loopback port whose HTTP requests go to
 * `adminHandler(wss, admin)`, or to what `mount` makes of it (an Express app).
 */
export async function startAdmin(
  admin: Partial<AdminOptions> = {},
  options: WebSocketOptions = {},
  mount: (handler: AdminHandler) => RequestListener = (handler) => handler,
): Promise<AdminServer> {
  const clients: TestClient[] = []
  let listener: RequestListener | undefined
  const server = await startServer({ ...identityOptions, ...options }, chatRoutes, (req, res) =>
    listener?.(req, res),
  )
  listener = mount(adminHandler(server.wss, { auth: { token: TOKEN }, ...admin }))
  return {
    wss: server.wss,
    http: server.http,
    port: server.port,
    open: async ({ user, rooms = [] } = {}) => {
      const query = new URLSearchParams({ rooms: rooms.join(',') })
      if (user !== undefined) query.set('user', user)
      const client = await connect(server.url(`/ws?${query}`))
      clients.push(client)
      if ((await client.next()) !== 'ready') throw new Error('no ready message')
      return client
    },
    close: async () => {
      for (const client of clients.splice(0)) client.ws.terminate()
      await server.close()
    },
  }
}
