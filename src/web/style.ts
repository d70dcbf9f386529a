/** The stylesheet and icon, served as files so the CSP can forbid inline styles. */

export const STYLESHEET = `:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #57606a; --line: #d0d7de; --accent: #0a58ca; --row: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9da7b3; --line: #30363d; --accent: #6cb6ff; --row: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; }
header { border-bottom: 1px solid var(--line); padding: 0 16px; display: flex; flex-wrap: wrap; align-items: center; gap: 4px 24px; }
header nav { flex: 1 1 auto; }
form.search { display: flex; gap: 4px; }
form.search input { width: 18rem; max-width: 60vw; }
.zone { margin: 0; color: var(--muted); font-size: 13px; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 0; padding: 12px 0; }
nav a { text-decoration: none; font-weight: 600; }
nav a[aria-current="page"] { text-decoration: underline; text-underline-offset: 6px; }
main { padding: 8px 16px 24px; max-width: 1280px; }
h1 { font-size: 1.5rem; margin: 12px 0 4px; }
h2 { font-size: 1.1rem; margin: 24px 0 8px; }
.subtitle, .muted { color: var(--muted); }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
tbody tr:nth-child(even) { background: var(--row); }
.mono, pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
pre { white-space: pre-wrap; word-break: break-all; margin: 4px 0; }
pre.code { background: var(--row); padding: 8px; border: 1px solid var(--line); }
details summary { cursor: pointer; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
form.filters label { display: flex; flex-direction: column; gap: 2px; }
form.filters label span { color: var(--muted); font-size: 13px; }
input, select, button { font: inherit; padding: 4px 6px; }
.links { margin: 6px 0; display: flex; gap: 16px; }
small.muted { font-size: 12px; }
time, span.mono, a.mono { white-space: nowrap; }
footer { border-top: 1px solid var(--line); padding: 8px 16px; color: var(--muted); font-size: 13px; }
svg.chart { width: 100%; max-width: 720px; height: auto; }
svg .grid { stroke: var(--line); }
svg .axis, svg .legend, svg .muted { fill: var(--muted); font-size: 12px; }
svg .line { fill: none; stroke-width: 2; }
svg polyline.s1 { stroke: #0a7cff; } svg rect.s1, svg circle.s1 { fill: #0a7cff; }
svg polyline.s2 { stroke: #e36209; } svg rect.s2, svg circle.s2 { fill: #e36209; }
svg polyline.s3 { stroke: #22863a; } svg rect.s3, svg circle.s3 { fill: #22863a; }
`;

export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0a58ca"/><path d="M4 11h8M4 8h8M4 5h8" stroke="#fff" stroke-width="1.5"/></svg>`;
