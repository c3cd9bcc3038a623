/** One roomcast server for one Vite server (dev or preview): its routes, their reloads, its attachment and close. */
import type { EnvironmentModuleNode, Logger as ViteLogger } from 'vite'
import { toError } from '../../errors.js'
import { createWebSocket, type RoomcastServer } from '../../server/index.js'
import { type ImportModule, moduleFile, namesOf, reaches, routesIn } from './handler-module.js'
import type { ResolvedUniversalApi } from './options.js'
import { RouteSet } from './route-set.js'
import { viteLogger } from './vite-logger.js'

type AttachableServer = Parameters<RoomcastServer['attach']>[0]

export interface SessionHost {
  httpServer: AttachableServer
  root: string
  logger: ViteLogger
  importModule: ImportModule
  /**
   * Whether a module that fails to load may be fixed later (the dev server
   * reloads it on change): then the failure is logged, else it is thrown.
   */
  reloads: boolean
}

/** A `wsHandlers` module path and the routes it registered. */
interface HandlerSource {
  path: string
  file: string
  routes: RouteSet
}

export class Session {
  readonly #wss: RoomcastServer
  readonly #host: SessionHost
  readonly #modules: HandlerSource[]
  /** Reloads run one after another, in the order the changes came. */
  #reloads: Promise<void> = Promise.resolve()
  #closed = false

  private constructor(wss: RoomcastServer, host: SessionHost, modules: HandlerSource[]) {
    this.#wss = wss
    this.#host = host
    this.#modules = modules
  }

  /**
   * Creates the server, registers every source's routes and attaches to the
   * http server; the server closes when the http server does.
   * @throws {RoomcastError} for an inline route the server refuses, or (without `reloads`) a module's.
   */
  static async start(config: ResolvedUniversalApi, host: SessionHost): Promise<Session> {
    const wss = createWebSocket({ logger: viteLogger(host.logger), ...config.server })
    const modules = config.modules.map((path) => ({
      path,
      file: moduleFile(host.root, path),
      routes: new RouteSet(wss, config.prefixes),
    }))
    const session = new Session(wss, host, modules)
    try {
      new RouteSet(wss, config.prefixes).replace(config.inline)
      for (const source of modules) await session.#load(source)
    } catch (error) {
      await wss.close()
      throw error
    }
    wss.attach(host.httpServer)
    host.httpServer.once('close', () => void session.close())
    return session
  }

  /** Whether `file` is a handler module: roomcast's own, with no page to update. */
  owns(file: string): boolean {
    return this.#modules.some((source) => namesOf(source.file).has(file))
  }

  /** Reloads the handler modules the change of `file` (whose modules are `changed`) reaches. */
  hotUpdate(file: string, changed: readonly EnvironmentModuleNode[]): Promise<void> {
    for (const source of this.#modules) {
      const names = namesOf(source.file)
      // A file Vite's graph does not hold yet (created after a failed load) is matched by name.
      if (!names.has(file) && !reaches(changed, names)) continue
      this.#reloads = this.#reloads.then(() => this.#load(source, true))
    }
    return this.#reloads
  }

  close(): Promise<void> {
    this.#closed = true
    return this.#wss.close()
  }

  /**
   * Loads a module's routes in place of those it had. When that fails its
   * previous routes stay, and so do their connections.
   */
  async #load(source: HandlerSource, reload = false): Promise<void> {
    const { logger } = this.#host
    try {
      const handlers = routesIn(await this.#host.importModule(source.file), source.path)
      if (this.#closed) return
      const closed = source.routes.replace(handlers)
      if (!reload) return
      const routes = count(source.routes.size, 'route')
      logger.info(
        `roomcast/vite: reloaded ${source.path} (${routes}; ${count(closed, 'connection')} closed with 1012)`,
        { timestamp: true },
      )
    } catch (cause) {
      if (!reload && !this.#host.reloads) throw cause
      const error = toError(cause)
      const after = reload ? 'its previous routes stay' : 'its routes are served once it loads'
      logger.error(
        `roomcast/vite: could not ${reload ? 'reload' : 'load'} ${source.path}: ${error.message}; ${after}`,
        { timestamp: true, error },
      )
    }
  }
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`
