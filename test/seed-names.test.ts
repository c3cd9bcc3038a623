/** The seed names table: sound as data, and the README's "Coming from" tables generated from it. */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, describe, test } from 'node:test'
import {
  betweenMarkers,
  END,
  generated,
  README,
  START,
  seedNamesMarkdown,
  withSeedNames,
} from '../scripts/seed-names.ts'
import { createWebSocket, type WebSocketOptions } from '../src/index.ts'
import { SEED_NAMES } from '../src/options/index.ts'
import { recordingLogger } from './helpers/server.ts'

const quiet = { logger: recordingLogger() }

describe('the seed names table', () => {
  const wss = createWebSocket(quiet)
  after(() => wss.close())

  test('covers the names the seeds document', () => {
    const names = (seed: string) =>
      new Set(SEED_NAMES.filter((row) => row.seed === seed).map((row) => row.name))
    const expected: Record<string, string[]> = {
      '001': ['heartbeatMs', 'pongTimeoutMs', 'maxMessageSize', 'allowOrigins', 'debug'],
      '002': ['wsHandlers', 'endpointPrefix', 'enableWs', 'strict'],
      '003': [
        'idleTimeout',
        'maxPayloadLength',
        'closeOnBackpressureLimit',
        'maxCompressedSize',
        'websocket',
      ],
      '004': [
        'auth',
        'events',
        'rooms',
        'routes',
        'controllersDirectory',
        'subscriberHandlers',
        'type',
        'url',
        'host',
        'enabled',
        'debug',
      ],
    }
    for (const [seed, list] of Object.entries(expected)) {
      for (const name of list) assert.ok(names(seed).has(name), `seed ${seed}: ${name}`)
    }
  })

  test('one row per seed, name and options object; each says what to do', () => {
    const seen = new Set<string>()
    for (const row of SEED_NAMES) {
      const key = `${row.seed} ${row.in} ${row.name}`
      assert.ok(!seen.has(key), `duplicate row ${key}`)
      seen.add(key)
      assert.ok((row.use === undefined) !== (row.instead === undefined), `${key}: use or instead`)
    }
  })

  test("every roomcast option a row names exists where the row says (undefined is a known key's no-op)", () => {
    for (const row of SEED_NAMES) {
      if (row.use === undefined) continue
      const use = row.use
      if (row.in === 'createWebSocket') {
        createWebSocket({ ...quiet, [use]: undefined } as WebSocketOptions).close()
      } else if (row.in === 'route') {
        wss.route({ [use]: undefined, pattern: `/check/${row.seed}/${row.name}` })
      } else if (row.in === 'perMessageDeflate') {
        createWebSocket({ ...quiet, perMessageDeflate: { [use]: undefined } }).close()
      }
    }
  })
})

describe('README "Coming from" tables', () => {
  test('one section and one table per seed system', () => {
    const text = seedNamesMarkdown()
    for (const system of ['NextRush v2', 'vite-plugin-universal-api', 'verb', 'PXL']) {
      assert.match(text, new RegExp(`### From ${system} \\(seed 00\\d\\)`))
      assert.match(text, new RegExp(`\\| ${system} \\| passed to \\| roomcast \\| note \\|`))
    }
    assert.match(text, /\| `allowOrigins` \| `createWebSocket\(\)` \| `allowedOrigins` \|/)
  })

  test('withSeedNames() replaces only what lies between the markers', () => {
    const readme = `# x\n\n${START}\nstale\n${END}\n\nrest\n`
    const written = withSeedNames(readme)
    assert.equal(betweenMarkers(written), generated())
    assert.ok(written.startsWith(`# x\n\n${START}`))
    assert.ok(written.endsWith(`${END}\n\nrest\n`))
    assert.equal(withSeedNames(written), written)
    assert.throws(() => withSeedNames('# no markers\n'), /needs <!-- seed-names:start -->/)
  })

  test('README.md holds exactly the generated tables (npm run seed-names rewrites them)', () => {
    const between = betweenMarkers(readFileSync(README, 'utf8'))
    assert.ok(between !== undefined, `README.md lacks ${START} … ${END}`)
    assert.equal(between, generated())
  })
})
