/** The published shape: self-import through `exports`, types that need no @types/ws, package.json. */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { before, describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { connect } from './helpers/client.ts'
import { recordingLogger } from './helpers/server.ts'
import { within } from './helpers/timeout.ts'

type Roomcast = typeof import('../src/index.ts')

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const distIndex = join(root, 'dist', 'index.js')
const distTypes = join(root, 'dist', 'index.d.ts')

interface PackageJson {
  name: string
  type?: string
  exports?: Record<string, { types?: string; default?: string } | string>
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  engines?: Record<string, string>
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson

/** Builds dist/ with `npm run build` when an earlier step has not already. */
function buildIfMissing(): Promise<void> {
  if (existsSync(distIndex) && existsSync(distTypes)) return Promise.resolve()
  return new Promise((done, fail) => {
    execFile('npm', ['run', 'build'], { cwd: root, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) fail(new Error(`npm run build failed:\n${stdout}\n${stderr}`, { cause: error }))
      else done()
    })
  })
}

before(() => within(buildIfMissing(), 125_000, 'npm run build'), { timeout: 130_000 })

/** Relative module specifiers a .d.ts file imports or re-exports. */
function relativeImports(source: string): string[] {
  const specifiers: string[] = []
  const patterns = [
    /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g,
    /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
  ]
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) specifiers.push(match[1] as string)
  }
  return specifiers
}

/** The .d.ts file a specifier like './server.js' points to. */
function declarationFile(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier)
  const base = target.replace(/\.(js|ts|d\.ts)$/, '')
  return `${base}.d.ts`
}

/** Every .d.ts reachable from dist/index.d.ts through relative imports. */
function declarationClosure(): Map<string, string> {
  const files = new Map<string, string>()
  const pending = [distTypes]
  while (pending.length > 0) {
    const file = pending.pop() as string
    if (files.has(file)) continue
    assert.ok(existsSync(file), `${relative(root, file)} is imported but missing`)
    const source = readFileSync(file, 'utf8')
    files.set(file, source)
    for (const specifier of relativeImports(source)) pending.push(declarationFile(file, specifier))
  }
  return files
}

describe('self-import by package name', () => {
  let lib: Roomcast

  before(async () => {
    // A variable specifier: the type checker must not need dist/ to exist.
    const name: string = pkg.name
    lib = (await import(name)) as Roomcast
  })

  test('"roomcast" resolves through the exports map to dist/index.js', () => {
    assert.equal(pkg.name, 'roomcast')
    assert.equal(import.meta.resolve('roomcast'), pathToFileURL(distIndex).href)
  })

  test('exposes the public API with the right kinds', () => {
    assert.equal(typeof lib.createWebSocket, 'function')
    assert.equal(typeof lib.withWebSocket, 'function')
    assert.equal(typeof lib.RoomcastError, 'function')
    assert.equal(typeof lib.MaxRoomsExceededError, 'function')
    assert.equal(typeof lib.ErrorCode, 'object')
    assert.equal(typeof lib.CloseCode, 'object')

    const error = new lib.MaxRoomsExceededError('lobby', 3)
    assert.ok(error instanceof lib.MaxRoomsExceededError)
    assert.ok(error instanceof lib.RoomcastError)
    assert.ok(error instanceof Error)
    assert.equal(error.code, 'ERR_MAX_ROOMS')
    assert.equal(error.name, 'MaxRoomsExceededError')
    assert.equal(error.room, 'lobby')
    assert.equal(error.limit, 3)
    const base = new lib.RoomcastError(lib.ErrorCode.InvalidRoom, 'bad room')
    assert.equal(base.code, 'ERR_INVALID_ROOM')
    assert.equal(base.name, 'RoomcastError')

    assert.equal(lib.ErrorCode.MaxRooms, 'ERR_MAX_ROOMS')
    assert.equal(lib.ErrorCode.InvalidOption, 'ERR_INVALID_OPTION')
    assert.equal(lib.CloseCode.Normal, 1000)
    assert.equal(lib.CloseCode.GoingAway, 1001)
    assert.equal(lib.CloseCode.MessageTooBig, 1009)
    assert.equal(lib.CloseCode.InternalError, 1011)
  })

  test('the built package echoes a message end to end', async () => {
    const wss = lib.createWebSocket({ logger: recordingLogger() })
    assert.ok(wss instanceof lib.RoomcastServer)
    wss.on('/echo/:id', (conn) => {
      conn.on('message', (m) => {
        conn.send(`${conn.params.id}:${m}`)
      })
    })
    const server = createServer((_req, res) => res.writeHead(404).end())
    wss.attach(server)
    await within(new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready)), 2000, 'listen')
    try {
      const port = (server.address() as AddressInfo).port
      const client = await connect(`ws://127.0.0.1:${port}/echo/7`)
      client.send('hello')
      assert.equal(await client.next(), '7:hello')
      assert.equal(wss.getConnectionCount(), 1)
      client.close(1000)
      assert.equal((await within(client.closed, 2000, 'client close')).code, 1000)
    } finally {
      await within(wss.close(), 8000, 'wss.close()')
      server.closeAllConnections()
      await within(new Promise<void>((done) => server.close(() => done())), 2000, 'server.close()')
    }
  })

  test('rejects invalid options with ERR_INVALID_OPTION from the built code', () => {
    assert.throws(
      () => lib.createWebSocket({ maxPayload: -1 }),
      (error: unknown) =>
        error instanceof lib.RoomcastError &&
        error.code === 'ERR_INVALID_OPTION' &&
        error.message.includes('maxPayload'),
    )
  })
})

describe('public type declarations', () => {
  test('no declaration reachable from dist/index.d.ts imports from "ws"', () => {
    const files = declarationClosure()
    const names = [...files.keys()].map((f) => relative(join(root, 'dist'), f)).sort()
    for (const expected of [
      'index.d.ts',
      'server/server.d.ts',
      'types.d.ts',
      'options/options.d.ts',
    ]) {
      assert.ok(names.includes(expected), `${expected} is part of the public types: ${names}`)
    }
    const importsWs = /\bfrom\s+['"]ws(\/[^'"]*)?['"]|\bimport\(\s*['"]ws(\/[^'"]*)?['"]\s*\)/
    const offenders = names.filter((name) =>
      importsWs.test(files.get(join(root, 'dist', name)) ?? ''),
    )
    assert.deepEqual(offenders, [], 'public .d.ts files must not need @types/ws')
  })

  test('no `any` in the public declarations', () => {
    const files = declarationClosure()
    const anyType = /:\s*any\b|<any>|\bany\[\]|\|\s*any\b|=>\s*any\b/
    const offenders = [...files].flatMap(([file, source]) =>
      source
        .split('\n')
        .filter((line) => anyType.test(line))
        .map((line) => `${relative(root, file)}: ${line.trim()}`),
    )
    assert.deepEqual(offenders, [])
  })
})

/** A consumer's code: strict TypeScript using the public API's types. */
const CONSUMER = `import { createServer } from 'node:http'
import { createWebSocket, withWebSocket, RoomcastError, MaxRoomsExceededError, ErrorCode,
  CloseCode, jwt, type WSConnection, type WebSocketOptions, type WebSocketStats } from 'roomcast'
const options: WebSocketOptions = { maxConnections: 2, allowedOrigins: [/x/], onError: (c, e) => c.close(CloseCode.InternalError, e.message),
  auth: jwt({ secret: 's', tokenFrom: ['header:authorization', 'protocol'], map: (p) => ({ role: p.role }) }) }
const wss = createWebSocket(options)
wss.on('/x/:id', (conn: WSConnection, request) => {
  conn.join(conn.params.id ?? 'none')
  conn.on('message', (m: string | Buffer) => { conn.broadcast('r', m) })
  const ok: boolean = conn.send(request.url ?? '')
  const role: unknown = conn.user?.payload.role
  void conn.join('vip', { authorize: true }).then((joined: boolean) => joined)
  void [ok, role]
})
void wss.revoke({ userId: 'u', jti: 'j' }).then((reply) => reply.value + 1)
const stats: WebSocketStats = wss.getStats()
const code: string = new MaxRoomsExceededError('r', 1).code
const isBase: boolean = new RoomcastError(ErrorCode.InvalidRoom, 'x') instanceof Error
wss.attach(createServer())
void withWebSocket((_req, res) => res.end(), wss, 0, '127.0.0.1', { headersTimeout: 1000 })
void [stats, code, isBase]
`

/** Type-checks {@link CONSUMER} against a copy of dist/ in a project that has no `ws` or @types/ws. */
function typecheckConsumer(dir: string): Promise<{ code: number; output: string }> {
  const packageDir = join(dir, 'node_modules', 'roomcast')
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true })
  cpSync(join(root, 'dist'), join(packageDir, 'dist'), { recursive: true })
  cpSync(join(root, 'package.json'), join(packageDir, 'package.json'))
  // jose is a dependency that ships its own types: npm installs it beside roomcast.
  symlinkSync(join(root, 'node_modules', 'jose'), join(dir, 'node_modules', 'jose'))
  symlinkSync(
    join(root, 'node_modules', '@types', 'node'),
    join(dir, 'node_modules', '@types', 'node'),
  )
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }')
  writeFileSync(join(dir, 'app.ts'), CONSUMER)
  const compilerOptions = {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    types: ['node'],
    skipLibCheck: false,
  }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts'] }))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  return new Promise((done) => {
    execFile(
      process.execPath,
      [tsc, '-p', dir],
      { cwd: dir, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        done({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

describe('public types in a consumer project', () => {
  test('strict TypeScript compiles against dist/ with no ws or @types/ws installed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roomcast-consumer-'))
    try {
      const result = await within(typecheckConsumer(dir), 65_000, 'consumer tsc')
      assert.equal(result.output, '')
      assert.equal(result.code, 0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('package.json', () => {
  test('is an ESM package whose "." export has existing types and default files', () => {
    assert.equal(pkg.type, 'module')
    const entry = pkg.exports?.['.']
    assert.ok(
      entry !== undefined && typeof entry === 'object',
      'exports["."] is a conditions object',
    )
    assert.equal(entry.types, './dist/index.d.ts')
    assert.equal(entry.default, './dist/index.js')
    assert.ok(existsSync(join(root, entry.types)), `${entry.types} exists`)
    assert.ok(existsSync(join(root, entry.default)), `${entry.default} exists`)
    // "types" must come first: TypeScript picks the first condition that matches.
    assert.equal(Object.keys(entry)[0], 'types')
  })

  test('ships ws as a regular dependency and requires Node >= 20', () => {
    assert.equal(typeof pkg.dependencies?.ws, 'string')
    assert.equal(pkg.peerDependencies?.ws, undefined)
    assert.equal(pkg.engines?.node, '>=20')
  })
})
