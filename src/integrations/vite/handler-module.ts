/** A `wsHandlers` module: its file, its default export checked, and whether a changed file reaches it. */
import { realpathSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import type { EnvironmentModuleNode } from 'vite'
import { assertRouteDefinition, type RouteDefinition } from '../../routes/index.js'

/** Imports a module by absolute file path: Vite's SSR loader in dev, Node's `import()` in preview. */
export type ImportModule = (file: string) => Promise<Record<string, unknown>>

/** `path` relative to Vite's `root`, with `/` separators as Vite's module graph writes them. */
export function moduleFile(root: string, path: string): string {
  return posix(resolve(root, path))
}

/**
 * `file`, and its real path when a symlinked folder leads to it: the path
 * given names the link, Vite's module graph and watcher the real file.
 */
export function namesOf(file: string): ReadonlySet<string> {
  const names = new Set([file])
  try {
    names.add(posix(realpathSync(file)))
  } catch {
    // Not there (yet): it has only the name it was given.
  }
  return names
}

const posix = (path: string) => path.split(sep).join('/')

/**
 * The route objects a module exports by default.
 * @throws {TypeError} when the default export is not an array of route objects.
 */
export function routesIn(exports: Record<string, unknown>, path: string): RouteDefinition[] {
  const routes: unknown = exports.default
  if (!Array.isArray(routes)) {
    throw new TypeError(
      `wsHandlers module ${path}: the default export must be an array of route objects ({ pattern, onConnect?, onMessage?, … })`,
    )
  }
  const checked: RouteDefinition[] = []
  for (const route of routes as unknown[]) {
    assertRouteDefinition(route)
    checked.push(route)
  }
  return checked
}

/** Whether the file `names` name is among `changed` or imports one of them, at any depth. */
export function reaches(
  changed: readonly EnvironmentModuleNode[],
  names: ReadonlySet<string>,
): boolean {
  const seen = new Set<EnvironmentModuleNode>()
  const pending = [...changed]
  for (let mod = pending.pop(); mod !== undefined; mod = pending.pop()) {
    if (mod.file !== null && names.has(mod.file)) return true
    if (seen.has(mod)) continue
    seen.add(mod)
    pending.push(...mod.importers)
  }
  return false
}
