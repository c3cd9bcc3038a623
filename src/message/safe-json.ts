/** JSON parsing for untrusted text: depth, key-count and prototype-key limits checked in linear time. */

/** Limits applied to every parsed message. */
export interface JsonLimits {
  /** Deepest nesting of objects and arrays allowed; `[]` is depth 1. */
  maxDepth: number
  /** Most object keys allowed across the whole value. */
  maxKeys: number
}

/** Defaults: deep enough for any sane message, far below what would hurt the event loop. */
export const defaultJsonLimits = { maxDepth: 64, maxKeys: 10_000 } as const satisfies JsonLimits

/**
 * What {@link parseMaybeJson} made of a text frame: `json` with its value;
 * `text` when it is not JSON at all (the caller passes the string through);
 * `unsafe` when it is JSON-shaped but over a limit or carries a forbidden key.
 */
export type MaybeJson =
  | { kind: 'json'; value: unknown }
  | { kind: 'text' }
  | { kind: 'unsafe'; reason: string }

const TEXT: MaybeJson = { kind: 'text' }

const OPEN_OBJECT = 0x7b // {
const CLOSE_OBJECT = 0x7d // }
const OPEN_ARRAY = 0x5b // [
const CLOSE_ARRAY = 0x5d // ]
const QUOTE = 0x22 // "
const BACKSLASH = 0x5c // \
const COLON = 0x3a // :

/**
 * Text longer than this is scanned before `JSON.parse`: a megabyte of `[[[…`
 * then costs a scan that stops at the depth limit, not a full parse. Shorter
 * text is cheaper to parse first and check in one walk over the value.
 */
const SCAN_FIRST_ABOVE = 4096

/**
 * Parses `text` as JSON when it is JSON and within `limits` (depth, key count,
 * no `__proto__` / `constructor` / `prototype` keys, however they are spelled).
 */
export function parseMaybeJson(text: string, limits: JsonLimits): MaybeJson {
  const start = firstSignificant(text)
  if (!startsLikeJson(text, start)) return TEXT
  if (text.length > SCAN_FIRST_ABOVE) {
    const scanned = scan(text, start, limits)
    if (scanned !== undefined) return scanned
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return TEXT
  }
  if (typeof value !== 'object' || value === null) return { kind: 'json', value }
  const problem = check(value, limits)
  return problem === undefined ? { kind: 'json', value } : { kind: 'unsafe', reason: problem }
}

/**
 * Parses `text` as JSON within `limits`; invalid JSON is a failure too.
 *
 * @example
 * const result = parseJson(text, defaultJsonLimits)
 * if (!result.ok) conn.close(1007, result.reason)
 */
export function parseJson(
  text: string,
  limits: JsonLimits,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  const result = parseMaybeJson(text, limits)
  if (result.kind === 'json') return { ok: true, value: result.value }
  return { ok: false, reason: result.kind === 'unsafe' ? result.reason : 'not valid JSON' }
}

/** Index of the first character that is not JSON whitespace (RFC 8259 §2). */
function firstSignificant(text: string): number {
  let i = 0
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break
  }
  return i
}

/** Whether JSON could start at `start`; spares most plain text a scan and a thrown SyntaxError. */
function startsLikeJson(text: string, start: number): boolean {
  const c = text.charCodeAt(start)
  if (c === OPEN_OBJECT || c === OPEN_ARRAY || c === QUOTE) return true
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return true // - or a digit
  // t, f and n can only begin a literal, so "the…" or "nice…" stop here.
  if (c === 0x74) return text.startsWith('true', start)
  if (c === 0x66) return text.startsWith('false', start)
  if (c === 0x6e) return text.startsWith('null', start)
  return false
}

/**
 * One pass over the text outside strings: tracks nesting and counts the colons
 * that sit directly in an object (exactly its keys, when the JSON is valid).
 * Returns a verdict when the text is over a limit or plainly not JSON, and
 * `undefined` when `JSON.parse` should decide.
 */
function scan(text: string, start: number, limits: JsonLimits): MaybeJson | undefined {
  // Which container each open level is; bounded by maxDepth since we stop past it.
  const open: number[] = []
  let keys = 0
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      i = stringEnd(text, i)
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (open.length >= limits.maxDepth) {
        return { kind: 'unsafe', reason: `nested deeper than ${limits.maxDepth} levels` }
      }
      open.push(c)
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      // A closer that does not match the innermost opener cannot be JSON.
      if (open.pop() !== (c === CLOSE_OBJECT ? OPEN_OBJECT : OPEN_ARRAY)) return TEXT
    } else if (c === COLON) {
      if (open[open.length - 1] !== OPEN_OBJECT) return TEXT
      if (++keys > limits.maxKeys) {
        return { kind: 'unsafe', reason: `more than ${limits.maxKeys} keys` }
      }
    }
  }
  return open.length === 0 ? undefined : TEXT
}

/**
 * Index of the quote closing the string opened at `open` (or past the end).
 * `indexOf` jumps through the string natively; a quote preceded by an odd run
 * of backslashes is escaped (`\\"` ends the string, `\"` does not).
 */
function stringEnd(text: string, open: number): number {
  let quote = open
  for (;;) {
    quote = text.indexOf('"', quote + 1)
    if (quote === -1) return text.length
    let backslashes = 0
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return quote
  }
}

/**
 * One walk over a parsed value, with an explicit stack (no recursion): its
 * depth, its key count, and keys that could reach a prototype when merged.
 */
function check(root: object, limits: JsonLimits): string | undefined {
  const items: object[] = [root]
  const depths: number[] = [1]
  let keys = 0
  while (items.length > 0) {
    const item = items.pop() as object
    const depth = depths.pop() as number
    if (depth > limits.maxDepth) return `nested deeper than ${limits.maxDepth} levels`
    const children: unknown[] = Array.isArray(item) ? item : Object.values(item)
    if (!Array.isArray(item)) {
      const names = Object.keys(item)
      keys += names.length
      if (keys > limits.maxKeys) return `more than ${limits.maxKeys} keys`
      for (const name of names) {
        if (name === '__proto__' || name === 'constructor' || name === 'prototype') {
          return `forbidden key "${name}"`
        }
      }
    }
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        items.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return undefined
}
