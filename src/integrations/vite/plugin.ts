/** universalApi(): seed 002's Vite plugin, serving `wsHandlers` beside Vite's HMR in dev and preview. */
import type { Plugin, PreviewServer, ResolvedConfig } from 'vite'
import type { RoomcastServer } from '../../server/index.js'
import { resolveUniversalApi, type UniversalApiOptions } from './options.js'
import { Session } from './session.js'

type AttachableServer = Parameters<RoomcastServer['attach']>[0]

/**
 * A Vite plugin serving seed 002's WebSocket route objects on Vite's own
 * port, in the dev server and in `vite preview`. It never takes Vite's HMR
 * socket (`vite-hmr` and `vite-ping` handshakes are left to Vite on any path),
 * and in dev a `wsHandlers` module reloads on change without restarting Vite:
 * its routes are replaced and their connections closed with 1012.
 * @throws {RoomcastError} `ERR_INVALID_OPTION` for an unknown option (seed 002's REST options too).
 * @example
 * // vite.config.ts
 * export default defineConfig({
 *   plugins: [universalApi({ endpointPrefix: '/api', enableWs: true, wsHandlers: ['./ws/chat.ts'] })],
 * })
 */
export function universalApi(options: UniversalApiOptions = {}): Plugin {
  const config = resolveUniversalApi(options)
  // Keyed by config: the server object Vite hands to hooks may be a proxy of it.
  const devSessions = new WeakMap<ResolvedConfig, Session>()
  const plugin: Plugin = { name: 'roomcast:universal-api' }
  if (!config.enabled || (config.inline.length === 0 && config.modules.length === 0)) return plugin
  return {
    ...plugin,
    async configureServer(server) {
      const { httpServer, config: vite } = server
      if (httpServer === null) {
        vite.logger.warn(
          'roomcast/vite: Vite runs in middleware mode, without an http server: wsHandlers are not served',
        )
        return
      }
      const session = await Session.start(config, {
        httpServer: attachable(httpServer),
        root: vite.root,
        logger: vite.logger,
        importModule: (file) => server.ssrLoadModule(file),
        reloads: true,
      })
      devSessions.set(vite, session)
    },
    async configurePreviewServer(server) {
      const { httpServer, config: vite } = server
      await Session.start(config, {
        httpServer: attachable(httpServer),
        root: vite.root,
        logger: vite.logger,
        // A preview serves a build: the modules load once, through a module runner of the Vite
        // that runs this plugin, so a TypeScript handler module loads on any Node.
        importModule: async (file) => {
          const { runnerImport } = await import('vite')
          const loaded = await runnerImport<Record<string, unknown>>(file, {
            root: vite.root,
            configFile: false,
            logLevel: 'silent',
          })
          return loaded.module
        },
        reloads: false,
      })
    },
    async hotUpdate({ file, modules, server }) {
      // ssrLoadModule runs handler modules in the SSR environment: their graph is there.
      if (this.environment !== server.environments.ssr) return
      const session = devSessions.get(server.config)
      if (session === undefined) return
      await session.hotUpdate(file, modules)
      // Handler modules are roomcast's: there is no page for Vite to reload.
      if (session.owns(file)) return []
    },
  }
}

/**
 * Vite's https server is an http2 one with `allowHTTP1`: HTTP/1.1 upgrades
 * reach it as they reach an https server, which is all `attach()` uses.
 */
function attachable(server: PreviewServer['httpServer']): AttachableServer {
  return server as AttachableServer
}
