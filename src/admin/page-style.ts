/** The admin page's stylesheet, inlined: no font, image or CDN request, so it works offline. */

export const PAGE_STYLE = `
:root {
  color-scheme: light;
  --bg: #f4f5f7; --panel: #fff; --text: #1d2330; --muted: #667085; --line: #e3e6eb;
  --accent: #3b5bdb; --ok: #2b8a3e; --warn: #d9480f; --bad: #c92a2a;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; align-items: center; gap: 16px; padding: 12px 24px; background: #1d2330; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header h1 span { color: #9fb3ff; font-weight: 400; }
#status { margin: 0 0 0 auto; color: #c7cdd8; font-size: 13px; }
#status.error { color: #ffc9c9; }
main { padding: 20px 24px; max-width: 1280px; margin: 0 auto; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin-bottom: 16px; }
h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 0 0 12px; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 12px; background: none; border: 0; padding: 0; }
.figure { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.figure .label { display: block; color: var(--muted); font-size: 12px; }
.figure .value { display: block; font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.figure .value.error { color: var(--bad); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { font-size: 12px; color: var(--muted); font-weight: 500; }
tbody tr:last-child td { border-bottom: 0; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--ok); }
.badge.degraded { background: var(--warn); }
.badge.unreachable { background: var(--bad); }
.reason { margin-left: 8px; color: var(--muted); }
.columns { display: grid; grid-template-columns: 2fr 1fr; gap: 16px; align-items: start; }
@media (max-width: 900px) { .columns { grid-template-columns: 1fr; } }
button { font: inherit; border: 1px solid var(--line); background: #fff; color: var(--text); border-radius: 6px; padding: 3px 10px; cursor: pointer; }
button:hover { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
button.danger { color: var(--bad); }
button.danger:hover { border-color: var(--bad); background: #fff5f5; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; padding: 5px 14px; }
header button { background: transparent; color: #fff; border-color: #4a5366; }
input, select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; width: 100%; color: var(--text); background: #fff; }
form label { display: block; margin-bottom: 10px; color: var(--muted); font-size: 12px; }
form label > input, form label > select { margin-top: 4px; }
.toolbar { display: flex; gap: 12px; align-items: center; margin-bottom: 8px; }
.toolbar h2 { margin: 0; }
.toolbar input { max-width: 320px; margin-left: auto; }
.actions { white-space: nowrap; text-align: right; }
.actions button + button { margin-left: 6px; }
.empty, .note { color: var(--muted); margin: 8px 0 0; }
.error { color: var(--bad); }
#login { max-width: 360px; margin: 64px auto; }
`
