/**
 * The apps seed 001's plugin installs into, told apart by shape (the
 * frameworks are optional peers, never imported), and the WebSocket context
 * each one's HTTP handlers get: `isWebSocket` and `wsRooms`.
 */
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http'
import { Server as NetServer } from 'node:net'
import type { ExpressApp } from '../integrations/express/upgrades.js'

type Next = (error?: unknown) => void

/** An Express app: callable, with `use()` and `listen()`. */
export interface ExpressLikeApp extends ExpressApp {
  use(middleware: (request: IncomingMessage, response: ServerResponse, next: Next) => void): unknown
  listen(...args: never[]): HttpServer
}

interface KoaContext {
  req: IncomingMessage
  [key: string]: unknown
}

/** A Koa app: `use()`, `listen()` and `callback()`. */
export interface KoaLikeApp {
  use(middleware: (ctx: KoaContext, next: () => Promise<unknown>) => unknown): unknown
  listen(...args: never[]): HttpServer
  callback(): unknown
}

interface FastifyRequest {
  raw: IncomingMessage
  [key: string]: unknown
}

/** A Fastify instance: its http server exists before `listen()`. */
export interface FastifyLikeApp {
  server: HttpServer
  register(...args: never[]): unknown
  // Fastify's own overloads are many: one loose signature lets an instance pass as this type.
  addHook(name: string, hook: (...args: never[]) => unknown): unknown
}

interface HonoContext {
  req: { header(name: string): string | undefined }
  set(key: string, value: unknown): void
}

/** A Hono app: `fetch()` and `use()`; it has no server of its own. */
export interface HonoLikeApp {
  fetch(...args: never[]): unknown
  use(
    path: string,
    middleware: (c: HonoContext, next: () => Promise<void>) => Promise<void>,
  ): unknown
}

export type PluginApp = ExpressLikeApp | KoaLikeApp | FastifyLikeApp | HonoLikeApp | HttpServer

export type AppKind =
  | { name: 'express'; app: ExpressLikeApp }
  | { name: 'koa'; app: KoaLikeApp }
  | { name: 'fastify'; app: FastifyLikeApp }
  | { name: 'hono'; app: HonoLikeApp }
  | { name: 'http'; app: HttpServer }

const has = (value: object, key: string) =>
  typeof (value as Record<string, unknown>)[key] === 'function'

/** @throws {TypeError} for anything else. */
export function appKind(app: unknown): AppKind {
  if (app instanceof NetServer) return { name: 'http', app: app as HttpServer }
  if (typeof app === 'function' && has(app, 'use') && has(app, 'listen') && has(app, 'handle')) {
    return { name: 'express', app: app as ExpressLikeApp }
  }
  if (typeof app === 'object' && app !== null) {
    if (has(app, 'register') && has(app, 'addHook') && 'server' in app) {
      return { name: 'fastify', app: app as FastifyLikeApp }
    }
    if (has(app, 'callback') && has(app, 'use') && has(app, 'listen')) {
      return { name: 'koa', app: app as KoaLikeApp }
    }
    if (has(app, 'fetch') && has(app, 'use')) return { name: 'hono', app: app as HonoLikeApp }
  }
  throw new TypeError(
    'WebSocketPlugin.install(app): expected an Express, Koa, Fastify or Hono app, or an http server',
  )
}

const isUpgrade = (header: string | undefined) => header?.toLowerCase() === 'websocket'

/** Gives the app's HTTP handlers seed 001's context: `isWebSocket` and `wsRooms`. */
export function enhanceContext(kind: AppKind, wsRooms: unknown): void {
  switch (kind.name) {
    case 'express':
      kind.app.use((request, _response, next) => {
        Object.assign(request, { isWebSocket: isUpgrade(request.headers.upgrade), wsRooms })
        next()
      })
      return
    case 'koa':
      kind.app.use((ctx, next) => {
        ctx.isWebSocket = isUpgrade(ctx.req.headers.upgrade)
        ctx.wsRooms = wsRooms
        return next()
      })
      return
    case 'fastify':
      kind.app.addHook('onRequest', async (request: FastifyRequest) => {
        // roomcast/fastify, when registered too, defines isWebSocket itself (a getter).
        if (!('isWebSocket' in request))
          request.isWebSocket = isUpgrade(request.raw.headers.upgrade)
        request.wsRooms = wsRooms
      })
      return
    case 'hono':
      kind.app.use('*', async (c, next) => {
        c.set('isWebSocket', isUpgrade(c.req.header('upgrade')))
        c.set('wsRooms', wsRooms)
        await next()
      })
      return
    case 'http':
      return
  }
}
