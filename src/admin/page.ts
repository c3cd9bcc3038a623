/**
 * The admin page: one HTML document with its style and script inline, and a
 * Content-Security-Policy that allows exactly those two (by hash) and
 * requests to this origin, nothing else.
 */
import { createHash } from 'node:crypto'
import { PAGE_SCRIPT } from './page-script.js'
import { PAGE_STYLE } from './page-style.js'

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

/** No framing (its buttons disconnect users: clickjacking), no plugins, no forms posting away. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `script-src ${hash(PAGE_SCRIPT)}`,
  `style-src ${hash(PAGE_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
} as const

const figure = (id: string, label: string) =>
  `<div class="figure"><span class="label">${label}</span><span class="value" id="figure-${id}">–</span></div>`

const table = (id: string, headings: string[], empty: string) => {
  const cells = headings
    .map((heading) => {
      const [text, className] = heading.split('|')
      return className === undefined ? `<th>${text}</th>` : `<th class="${className}">${text}</th>`
    })
    .join('')
  return `<table id="${id}"><thead><tr>${cells}</tr></thead><tbody></tbody></table>
<p class="empty" id="${id}-empty">${empty}</p>`
}

const BODY = `<header>
<h1>roomcast <span>admin</span></h1>
<p id="status" role="status">Loading…</p>
<button id="sign-out" type="button" hidden>Sign out</button>
</header>
<main>
<section id="login" hidden>
<form id="login-form">
<h2>Sign in</h2>
<label>Admin token<input id="token" type="password" autocomplete="current-password" required></label>
<button class="primary" type="submit">Sign in</button>
<p id="login-error" class="error" role="alert"></p>
</form>
</section>
<div id="dashboard" hidden>
<section class="figures" aria-label="Figures">
${figure('connections', 'Connections')}
${figure('rooms', 'Rooms')}
${figure('users', 'Users')}
${figure('in', 'Messages in /s')}
${figure('out', 'Messages out /s')}
${figure('dropped', 'Messages dropped')}
${figure('backpressure', 'Closed for backpressure')}
${figure('nodes', 'Nodes ok')}
</section>
<section>
<h2>Nodes</h2>
${table('nodes', ['Node', 'Health', 'Connections|num', 'Rooms|num', 'In /s|num', 'Out /s|num', 'Dropped|num', 'Backpressure closes|num'], 'No node answered.')}
</section>
<div class="columns">
<section>
<h2>Rooms</h2>
${table('rooms', ['Room', 'Connections|num', 'Members'], 'No rooms.')}
</section>
<section>
<h2>Test message</h2>
<form id="broadcast-form">
<label>To<select id="broadcast-room"><option value="">every connection</option></select></label>
<label>Message<input id="broadcast-message" value="Test message from the admin page" required></label>
<button class="primary" type="submit">Send</button>
<p id="broadcast-result" class="note" role="status"></p>
</form>
</section>
</div>
<section>
<div class="toolbar"><h2>Connections</h2><input id="filter" type="search" placeholder="Filter by id, user, node or room" aria-label="Filter connections"></div>
<p id="action-result" class="note" role="status"></p>
${table('connections', ['Connection', 'User', 'Node', 'Rooms', ''], 'No connections.')}
<p id="truncated" class="note" hidden>Only the first entries are listed; the figures count them all.</p>
</section>
</div>
</main>`

/**
 * The page for one handler: how it authenticates and how often it refreshes
 * go in `<meta>` tags, so the inline script (and its hash) stays the same.
 */
export function renderPage(mode: 'token' | 'basic', refreshInterval: number): Buffer {
  return Buffer.from(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="roomcast-auth" content="${mode}">
<meta name="roomcast-refresh" content="${refreshInterval}">
<title>roomcast admin</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
${BODY}
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`)
}
