/** Vite tests' setup: a project in a temp folder, a real dev (or preview) server on loopback, its log lines. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createServer, type InlineConfig, type Logger, type ViteDevServer } from 'vite'
import { delay, within } from './timeout.ts'

export interface ViteProject {
  root: string
  /** Writes `files` (path in the project → content), making folders as needed. */
  write(files: Record<string, string>): Promise<void>
  remove(): Promise<void>
}

/** Vite's watcher (chokidar) drops a file's change event within 50 ms of its previous one. */
const CHANGE_THROTTLE = 100

export async function viteProject(files: Record<string, string>): Promise<ViteProject> {
  const root = await mkdtemp(join(tmpdir(), 'roomcast-vite-'))
  const written = new Map<string, number>()
  const project: ViteProject = {
    root,
    write: async (more) => {
      for (const [name, content] of Object.entries(more)) {
        const wait = (written.get(name) ?? 0) + CHANGE_THROTTLE - Date.now()
        if (wait > 0) await delay(wait)
        await mkdir(dirname(join(root, name)), { recursive: true })
        await writeFile(join(root, name), content)
        written.set(name, Date.now())
      }
    },
    remove: () => rm(root, { recursive: true, force: true }),
  }
  await project.write(files)
  return project
}

/** A Vite logger that records every line, Vite's and roomcast's (which logs through it). */
export function recordingViteLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const warned = new Set<string>()
  return {
    lines,
    info: (msg) => lines.push(`info ${msg}`),
    warn: (msg) => lines.push(`warn ${msg}`),
    warnOnce: (msg) => {
      if (!warned.has(msg)) lines.push(`warn ${msg}`)
      warned.add(msg)
    },
    error: (msg) => lines.push(`error ${msg}`),
    clearScreen: () => {},
    hasErrorLogged: () => false,
    hasWarned: false,
  }
}

/** Offline and quick: no config file, no dependency pre-bundling, loopback on a free port. */
export function offlineConfig(root: string, logger: Logger): InlineConfig {
  return {
    root,
    configFile: false,
    customLogger: logger,
    clearScreen: false,
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { host: '127.0.0.1', port: 0, strictPort: true },
  }
}

export interface DevServer {
  vite: ViteDevServer
  port: number
  origin: string
  close(): Promise<void>
}

/** Creates and starts a dev server from `config`. */
export async function startDev(config: InlineConfig): Promise<DevServer> {
  const vite = await within(createServer(config), 15_000, 'vite createServer')
  await within(vite.listen(), 5000, 'vite listen')
  const address = vite.httpServer?.address()
  if (address === null || typeof address !== 'object') throw new Error('Vite is not listening')
  return {
    vite,
    port: address.port,
    origin: `http://127.0.0.1:${address.port}`,
    close: () => within(vite.close(), 5000, 'vite close'),
  }
}
