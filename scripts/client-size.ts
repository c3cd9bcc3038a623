/**
 * Bundles `roomcast/client` for browsers with esbuild (minified), prints its
 * min+gzip size and fails when the bundle would import `ws` or `node:*`:
 * `node --import tsx scripts/client-size.ts`.
 */
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const ENTRY = fileURLToPath(new URL('../src/client/index.ts', import.meta.url))

/** What a browser bundle must never hold: an import of `ws` or of a Node built-in. */
const FORBIDDEN = [/require\(\s*["']ws["']\s*\)/, /from\s*["']ws["']/, /node:/]

/** The size budget, in min+gzip bytes. */
export const BUDGET_BYTES = 8 * 1024

export interface ClientBundle {
  readonly minifiedBytes: number
  readonly gzipBytes: number
  /** The forbidden patterns the bundle matched. */
  readonly forbidden: readonly string[]
}

/** Bundles `entry` (the client's face by default) as a browser would load it. */
export async function measureClientBundle(entry = ENTRY): Promise<ClientBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    // Kept as imports rather than bundled, so that the check below sees them.
    external: ['ws', 'node:*'],
  })
  const code = result.outputFiles[0]?.text ?? ''
  return {
    minifiedBytes: Buffer.byteLength(code),
    gzipBytes: gzipSync(code, { level: 9 }).length,
    forbidden: FORBIDDEN.filter((pattern) => pattern.test(code)).map(String),
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = await measureClientBundle()
  process.stdout.write(
    `roomcast/client: ${bundle.minifiedBytes} bytes minified, ${bundle.gzipBytes} bytes min+gzip (budget ${BUDGET_BYTES})\n`,
  )
  if (bundle.forbidden.length > 0) {
    process.stderr.write(
      `the browser bundle imports Node-only code: ${bundle.forbidden.join(', ')}\n`,
    )
    process.exitCode = 1
  }
  if (bundle.gzipBytes > BUDGET_BYTES) {
    process.stderr.write(`the browser bundle is over its ${BUDGET_BYTES}-byte budget\n`)
    process.exitCode = 1
  }
}
