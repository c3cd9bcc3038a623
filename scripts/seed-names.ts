/**
 * Renders the seed names table into README.md between its markers:
 * `node --import tsx scripts/seed-names.ts --write` rewrites it, without
 * `--write` prints the generated text.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  type OptionsObject,
  SEED_NAMES,
  SEED_SYSTEMS,
  type SeedName,
  type SeedSystem,
} from '../src/options/seed-names.ts'

const WHERE: Record<OptionsObject, string> = {
  createWebSocket: '`createWebSocket()`',
  route: '`wss.route()`',
  perMessageDeflate: '`perMessageDeflate`',
  rateLimit: '`rateLimit`',
  disconnectInactiveClients: '`disconnectInactiveClients`',
  systemController: '`systemController()`',
  createRedisAdapter: '`createRedisAdapter()`',
  ClusterAdapter: '`new ClusterAdapter()`',
  createEmitter: '`createEmitter()`',
  createRedisTransport: '`createRedisTransport()`',
  withWebSocket: '`withWebSocket()`',
  defineSubscriber: '`defineSubscriber()`',
  behaviour: 'a behaviour object (`wss.on(path, { open, message, … })`)',
  controllers: 'a `wss.controllers()` route',
  subscriberMiddleware: 'a subscriber middleware',
  responseRule: "a route object's response rule",
  withRetry: '`withRetry(handler, options)`',
  withRateLimit: '`withRateLimit(handler, options)`',
  WebSocketService: '`new WebSocketService()`',
  broadcast: 'a broadcast options object',
  identity: 'what `verifyClient` or `authenticate` returns',
  history: '`history`',
  recovery: '`recovery`',
  offlineQueue: '`offlineQueue`',
  join: '`conn.join(room, options)`',
  historyQuery: '`wss.history(room, query)`',
  jwt: '`jwt()`',
  auth: "seed 004's `auth` (`{ jwtSecretKey }`)",
  revoke: '`wss.revoke(target)`',
  WebSocketPlugin: '`new WebSocketPlugin()`',
  universalApi: '`universalApi()` (`roomcast/vite`)',
  registerMetrics: '`registerMetrics()` (`roomcast/metrics`)',
  shutdown: '`wss.shutdown()`',
  closeOnSignals: '`wss.closeOnSignals()`',
  adminHandler: '`adminHandler()` (`roomcast/admin`)',
}

/** A table cell: pipes would end it. */
function cell(markdown: string): string {
  return markdown.replaceAll('|', '\\|')
}

/** What the README's roomcast column says for a row. */
function roomcastForm(row: SeedName): string {
  if (row.use === undefined) return row.instead ?? ''
  return row.use === row.name ? 'the same' : `\`${row.use}\``
}

/** Consecutive rows that read the same but for their name share one README line. */
function readmeLines(rows: readonly SeedName[]): string[] {
  const groups: Array<{ names: string[]; row: SeedName; key: string }> = []
  for (const row of rows) {
    const key = [row.in, roomcastForm(row), row.note ?? ''].join('\u0000')
    const last = groups.at(-1)
    if (last?.key === key) last.names.push(row.name)
    else groups.push({ names: [row.name], row, key })
  }
  return groups.map(({ names, row }) => {
    const seed = names.map((name) => `\`${name}\``).join(', ')
    return `| ${seed} | ${WHERE[row.in]} | ${cell(roomcastForm(row))} | ${cell(row.note ?? '')} |`
  })
}

/**
 * The README's "Coming from" tables: one per seed system, in table order.
 * `--write` puts it between the README's markers.
 */
export function seedNamesMarkdown(): string {
  const sections: string[] = []
  for (const [seed, system] of Object.entries(SEED_SYSTEMS) as Array<
    [SeedSystem, (typeof SEED_SYSTEMS)[SeedSystem]]
  >) {
    sections.push(
      [
        `### From ${system.name} (seed ${seed})`,
        '',
        `Names from ${system.name}'s ${system.what}, with their roomcast forms. A name roomcast does not share is refused with \`ERR_INVALID_OPTION\`, naming the form to use.`,
        '',
        `| ${system.name} | passed to | roomcast | note |`,
        '|---|---|---|---|',
        ...readmeLines(SEED_NAMES.filter((row) => row.seed === seed)),
      ].join('\n'),
    )
  }
  return `${sections.join('\n\n')}\n`
}

export const START = '<!-- seed-names:start -->'
export const END = '<!-- seed-names:end -->'

export const README = fileURLToPath(new URL('../README.md', import.meta.url))

/** What lies between the markers, or `undefined` when they are missing or out of order. */
export function betweenMarkers(readme: string): string | undefined {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start === -1 || end < start) return undefined
  return readme.slice(start + START.length, end)
}

/** The text the markers must hold: the generated tables, with a blank line on each side. */
export function generated(): string {
  return `\n\n${seedNamesMarkdown()}\n`
}

/**
 * `readme` with the generated tables between its markers.
 * @throws {Error} when the markers are missing.
 */
export function withSeedNames(readme: string): string {
  if (betweenMarkers(readme) === undefined) {
    throw new Error(`README.md needs ${START} followed by ${END}`)
  }
  const start = readme.indexOf(START) + START.length
  return readme.slice(0, start) + generated() + readme.slice(readme.indexOf(END))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--write')) {
    writeFileSync(README, withSeedNames(readFileSync(README, 'utf8')))
  } else {
    process.stdout.write(seedNamesMarkdown())
  }
}
