/** Which properties of a controller are actions, found without invoking getters. */

/** An action found on a controller; called with the instance as `this`. */
export type Method = (...args: unknown[]) => unknown

/** A class (a function `new` works on) or a non-null object. Arrow functions have no prototype. */
export function isController(value: unknown): value is object {
  if (typeof value === 'function') return value.prototype !== undefined
  return typeof value === 'object' && value !== null
}

/** What a `{ type, controller }` route exposes: own functions, then the class's own methods. */
export function declaredMethod(instance: object, name: string): Method | undefined {
  if (name === 'constructor') return undefined
  const own = Object.getOwnPropertyDescriptor(instance, name)
  if (own !== undefined) return typeof own.value === 'function' ? (own.value as Method) : undefined
  const proto: unknown = Object.getPrototypeOf(instance)
  if (proto === null || proto === Object.prototype) return undefined
  return methodValue(proto as object, name)
}

/** What `{ type, action, controller }` names explicitly: searched along the prototype chain. */
export function anyMethod(instance: object, name: string): Method | undefined {
  if (name === 'constructor') return undefined
  for (let o: object | null = instance; o !== null && o !== Object.prototype; ) {
    const descriptor = Object.getOwnPropertyDescriptor(o, name)
    if (descriptor !== undefined) {
      return typeof descriptor.value === 'function' ? (descriptor.value as Method) : undefined
    }
    o = Object.getPrototypeOf(o) as object | null
  }
  return undefined
}

function methodValue(holder: object, name: string): Method | undefined {
  const value: unknown = Object.getOwnPropertyDescriptor(holder, name)?.value
  return typeof value === 'function' ? (value as Method) : undefined
}

/** Method names visible before instantiation, for duplicate checks. */
export function knownMethods(target: object): Set<string> {
  const names = new Set<string>()
  const holders: unknown[] =
    typeof target === 'function'
      ? [(target as { prototype: unknown }).prototype]
      : [target, Object.getPrototypeOf(target)]
  for (const holder of holders) {
    if (typeof holder !== 'object' || holder === null || holder === Object.prototype) continue
    for (const name of Object.getOwnPropertyNames(holder)) {
      if (name !== 'constructor' && methodValue(holder, name) !== undefined) names.add(name)
    }
  }
  return names
}
