/** Unknown option keys for the client: a tiny checker, since the server's pulls in its seed-names table. */

/** The keys of an options type, as a set the compiler keeps in step with the type. */
export function keySet<T>(keys: { [K in keyof T & string]-?: true }): ReadonlySet<string> {
  return new Set(Object.keys(keys))
}

/** @throws {TypeError} naming the first own key of `options` not in `known`, with `path` before it. */
export function assertKnownKeys(
  scope: string,
  options: object,
  known: ReadonlySet<string>,
  path = '',
): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`${scope}: unknown option "${path}${key}"`)
  }
}
