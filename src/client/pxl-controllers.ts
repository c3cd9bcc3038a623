/** Seed 004's client controllers (Node only): one per module of a directory, named by its file. */
import { readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/** A loaded controller: its methods are the actions, called `(ws, clientId, data)`. */
export type ClientController = object

const MODULE = /\.[cm]?[jt]s$/
const DECLARATION = /\.d\.[cm]?ts$/

/**
 * Imports every module of `directory` (relative to the working directory) and
 * makes one controller of each: the default export, else the first exported
 * class; a class is built with `new Class(init)`, an object used as it is.
 * The controller's name is its file's name up to the first dot
 * (`chat.controller.ts` → `chat`), matched exactly against a push's `type`.
 * @throws {TypeError} for a module without a controller, or two files with one name.
 */
export async function loadControllers(
  directory: string,
  init: object,
): Promise<Map<string, ClientController>> {
  const root = resolve(directory)
  const files = (await readdir(root, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && MODULE.test(entry.name) && !DECLARATION.test(entry.name))
    .map((entry) => entry.name)
    .sort()
  const controllers = new Map<string, ClientController>()
  const fileOf = new Map<string, string>()
  for (const file of files) {
    const name = file.slice(0, file.indexOf('.'))
    if (name === '') continue
    const other = fileOf.get(name)
    if (other !== undefined) {
      throw new TypeError(`controllersDirectory: "${other}" and "${file}" both name "${name}"`)
    }
    fileOf.set(name, file)
    const module = (await import(pathToFileURL(join(root, file)).href)) as Record<string, unknown>
    const exported = controllerExport(module)
    if (exported === undefined) {
      throw new TypeError(`controllersDirectory: "${file}" exports no controller class or object`)
    }
    controllers.set(
      name,
      typeof exported === 'function'
        ? new (exported as new (init: object) => object)(init)
        : exported,
    )
  }
  return controllers
}

/** The method of `controller` for `action`; never one every object has (`toString`, `constructor`). */
export function actionOf(
  controller: ClientController,
  action: string,
): ((...args: unknown[]) => unknown) | undefined {
  if (action in Object.prototype) return undefined
  const method: unknown = (controller as Record<string, unknown>)[action]
  return typeof method === 'function' ? (method as (...args: unknown[]) => unknown) : undefined
}

function controllerExport(module: Record<string, unknown>): object | undefined {
  const { default: fallback, ...named } = module
  if (isObjectOrFunction(fallback)) return fallback
  return Object.values(named).find((value) => typeof value === 'function')
}

function isObjectOrFunction(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function'
}
