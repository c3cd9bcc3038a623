/** The browser bundle of roomcast/client: it builds, imports neither `ws` nor `node:*`, and fits its budget. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { BUDGET_BYTES, measureClientBundle } from '../scripts/client-size.ts'

test('roomcast/client bundles for browsers without Node-only imports, within budget', async (t) => {
  const bundle = await measureClientBundle()
  t.diagnostic(`${bundle.minifiedBytes} bytes minified, ${bundle.gzipBytes} bytes min+gzip`)
  assert.deepEqual(bundle.forbidden, [])
  assert.ok(bundle.gzipBytes <= BUDGET_BYTES, `${bundle.gzipBytes} > ${BUDGET_BYTES}`)
})

test('the check catches Node-only imports: the seed 004 client is flagged', async () => {
  const pxlClient = fileURLToPath(new URL('../src/client/pxl-client.ts', import.meta.url))
  const bundle = await measureClientBundle(pxlClient)
  assert.ok(
    bundle.forbidden.some((pattern) => pattern.includes('ws')),
    String(bundle.forbidden),
  )
  assert.ok(
    bundle.forbidden.some((pattern) => pattern.includes('node:')),
    String(bundle.forbidden),
  )
})
