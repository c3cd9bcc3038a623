/** `adminHandler()`: the page and its JSON API behind the credential check, as one Node handler. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { toError } from '../errors.js'
import type { RoomcastServer } from '../server/index.js'
import { BodyError, broadcast, broadcastBody, disconnect, disconnectBody } from './actions.js'
import { createCredentialCheck } from './auth.js'
import { readJsonBody } from './body.js'
import { refuseCrossSite } from './csrf.js'
import { type AdminOptions, resolveAdminOptions } from './options.js'
import { readOverview } from './overview.js'
import { PAGE_HEADERS, renderPage } from './page.js'
import { RateMeter } from './rates.js'
import { sendError, sendJson, sendPage } from './respond.js'

export type NextFunction = (error?: unknown) => void

/**
 * A Node request handler (`(req, res, next?)`): `http.createServer(handler)`,
 * Express's `app.use(handler)`, or any framework through its raw request.
 */
export interface AdminHandler {
  (request: IncomingMessage, response: ServerResponse, next?: NextFunction): void
  /** Where the page is; the API is under `${path}/api/`. */
  readonly path: string
  /** Whether `request` is this handler's (its path or below it), before handing it over. */
  handles(request: IncomingMessage): boolean
}

type Route = { kind: 'page' } | { kind: 'api'; name: string } | { kind: 'other' }

interface Endpoint {
  method: 'GET' | 'POST'
  /** @returns the JSON answer of a 200. */
  run(body: unknown): Promise<unknown> | unknown
}

/** The request's path as the client sent it: Express strips a mount path from `url`, not `originalUrl`. */
function pathOf(request: IncomingMessage): string {
  const url = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url
  const path = url ?? '/'
  const query = path.search(/[?#]/)
  return query === -1 ? path : path.slice(0, query)
}

function routeOf(path: string, base: string): Route | undefined {
  if (path === base || path === `${base}/`) return { kind: 'page' }
  if (!path.startsWith(`${base}/`)) return undefined
  const rest = path.slice(base.length + 1)
  return rest.startsWith('api/') ? { kind: 'api', name: rest.slice(4) } : { kind: 'other' }
}

/**
 * The roomcast admin page for `wss`: live figures, nodes and their health,
 * rooms and their members, connections with disconnect buttons, and a test
 * broadcast, cluster-wide. Requests outside `path` go to `next` (404 without one).
 * @throws {RoomcastError} `ERR_INVALID_OPTION` without `auth`, for an unknown key or a bad value.
 * @example
 * const admin = adminHandler(wss, { auth: { token: process.env.ADMIN_TOKEN! } })
 * app.use(admin) // Express; or createServer(admin), or `(req, res) => admin(req, res, next)`
 */
export function adminHandler(wss: RoomcastServer, options: AdminOptions): AdminHandler {
  const resolved = resolveAdminOptions(options)
  const { path, listLimit, allowedOrigins } = resolved
  const credentials = createCredentialCheck(resolved.auth)
  const page = renderPage(credentials.mode, resolved.refreshInterval)
  const meter = new RateMeter(resolved.refreshInterval / 2)
  const endpoints = new Map<string, Endpoint>([
    ['overview', { method: 'GET', run: () => readOverview(wss, meter, listLimit) }],
    ['disconnect', { method: 'POST', run: (body) => disconnect(wss, disconnectBody(body)) }],
    ['broadcast', { method: 'POST', run: (body) => broadcast(wss, broadcastBody(body)) }],
  ])

  const servePage = (method: string, response: ServerResponse) => {
    if (method !== 'GET' && method !== 'HEAD') {
      return sendError(response, 405, 'use GET', { Allow: 'GET, HEAD' })
    }
    sendPage(response, page, PAGE_HEADERS, method === 'HEAD')
  }

  const serve = async (route: Route, request: IncomingMessage, response: ServerResponse) => {
    const method = request.method ?? 'GET'
    if (route.kind === 'page' && credentials.mode === 'token') {
      // The page holds no data: it asks for the token, and every API call is checked.
      return servePage(method, response)
    }
    if (!credentials.accepts(request)) {
      return sendError(response, 401, 'authentication required', {
        'WWW-Authenticate': credentials.challenge,
      })
    }
    if (route.kind === 'page') return servePage(method, response)
    const endpoint = route.kind === 'api' ? endpoints.get(route.name) : undefined
    if (endpoint === undefined) {
      return sendError(response, 404, 'no such admin endpoint')
    }
    if (method !== endpoint.method) {
      return sendError(response, 405, `use ${endpoint.method}`, { Allow: endpoint.method })
    }
    let body: unknown
    if (endpoint.method === 'POST') {
      const refusal = refuseCrossSite(request, allowedOrigins)
      if (refusal !== undefined) return sendError(response, refusal.status, refusal.error)
      const read = await readJsonBody(request)
      if (!read.ok) return sendError(response, read.status, read.error)
      body = read.value
    }
    try {
      sendJson(response, 200, await endpoint.run(body))
    } catch (error) {
      if (error instanceof BodyError) return sendError(response, 400, error.message)
      // Only signed-in admins get here: the reason helps them more than a bare 500.
      sendError(response, 500, toError(error).message)
    }
  }

  const handler = (request: IncomingMessage, response: ServerResponse, next?: NextFunction) => {
    const route = routeOf(pathOf(request), path)
    if (route === undefined) {
      if (next !== undefined) next()
      else sendError(response, 404, 'not found')
      return
    }
    serve(route, request, response).catch((error: unknown) => response.destroy(toError(error)))
  }
  return Object.assign(handler, {
    path,
    handles: (request: IncomingMessage) => routeOf(pathOf(request), path) !== undefined,
  })
}
