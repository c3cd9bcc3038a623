/** Launches headless Chromium for browser tests: CHROMIUM_PATH, else Debian's, else the npm package's. */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'

const DEBIAN_CHROMIUM = '/usr/bin/chromium'

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumPath(),
    // Without the networking flags Chromium keeps calling home, which this closed network refuses.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 20_000,
  })
}

async function chromiumPath(): Promise<string> {
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`)
    return fromEnv
  }
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM
  return unpackedNpmChromium()
}

/**
 * @sparticuz/chromium ships Chromium brotli-packed inside the package and unpacks it into
 * `os.tmpdir()`, trusting whatever it finds there. Test files run in parallel processes, so each
 * unpacks into a staging folder of its own and renames it into a folder named after the package
 * version: the rename is atomic, a half-written binary is never launched, and a stale one from
 * another version is never picked up.
 */
async function unpackedNpmChromium(): Promise<string> {
  // The package exports no package.json: find it two folders above its entry point.
  const entry = createRequire(import.meta.url).resolve('@sparticuz/chromium')
  const manifest = JSON.parse(await readFile(join(dirname(entry), '../../package.json'), 'utf8'))
  const version = String((manifest as { version?: unknown }).version)
  const home = join(tmpdir(), `roomcast-chromium-${version}`)
  const binary = join(home, 'chromium')
  if (existsSync(binary)) return binary

  const stage = await mkdtemp(join(tmpdir(), 'roomcast-chromium-stage-'))
  const savedTmpdir = process.env.TMPDIR
  process.env.TMPDIR = stage
  try {
    const { default: packaged } = await import('@sparticuz/chromium')
    await packaged.executablePath()
  } finally {
    if (savedTmpdir === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = savedTmpdir
  }
  try {
    await rename(stage, home)
  } catch (error) {
    // Another test process won the race: use its copy.
    await rm(stage, { recursive: true, force: true })
    if (!existsSync(binary)) throw error
  }
  return binary
}
