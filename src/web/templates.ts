/**
 * The page templates (Eta: `<%= %>` escapes, `<%~ %>` is raw and used only for other templates'
 * output and for chart SVG built by chart.ts). The escape function is ours, so hostile names are
 * both HTML-escaped and stripped of misleading control characters everywhere.
 */
import { Eta } from 'eta';
import { escapeHtml } from './escape.js';
import type { Page } from './model.js';

const LAYOUT = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><%= it.page.title %> · roster-watch</title>
<link rel="stylesheet" href="<%= it.base %>/static/style.css">
<link rel="icon" href="<%= it.base %>/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<nav aria-label="Sections"><ul>
<% for (const n of it.nav) { %><li><a href="<%= n.href %>"<% if (n.current) { %> aria-current="page"<% } %>><%= n.label %></a></li>
<% } %></ul></nav>
<form class="search" role="search" method="get" action="<%= it.base %>/search"><label><span class="sr">Search people, teams and policies</span><input type="search" name="q" value="<%= it.query ?? '' %>" placeholder="Search people, teams, policies" autocomplete="off"></label><button type="submit">Search</button></form>
<p class="zone">Times in <%= it.zone %></p>
</header>
<main id="main">
<h1><%= it.page.heading %></h1>
<% if (it.page.subtitle) { %><p class="subtitle"><%= it.page.subtitle %></p><% } %>
<% for (const block of it.page.blocks) { %><%~ include('@' + block.kind, { block, base: it.base }) %>
<% } %></main>
<footer><p>roster-watch · read-only view of the recorded history · generated <%= it.generatedAt %> · <a href="<%= it.permalink %>">permalink</a></p></footer>
</body>
</html>
`;

const CELL = `<% const c = it.cell %><% const tip = c.title ? include('@tip', { title: c.title }) : '' %><% if (c.details !== undefined) { %><details><summary><% if (c.href) { %><a href="<%= c.href %>"><%= c.text %></a><% } else { %><%= c.text %><% } %></summary><pre><%= c.details %></pre></details><% } else if (c.datetime) { %><time datetime="<%= c.datetime %>"<%~ tip %><% if (c.mono) { %> class="mono"<% } %>><% if (c.href) { %><a href="<%= c.href %>"><%= c.text %></a><% } else { %><%= c.text %><% } %></time><% } else if (c.href) { %><a href="<%= c.href %>"<%~ tip %><% if (c.mono) { %> class="mono"<% } %>><bdi><%= c.text %></bdi></a><% } else if (c.mono) { %><span class="mono"<%~ tip %>><bdi><%= c.text %></bdi></span><% } else if (tip) { %><span<%~ tip %>><bdi><%= c.text %></bdi></span><% } else { %><bdi><%= c.text %></bdi><% } %><% if (c.note) { %> <small class="muted"><bdi><%= c.note %></bdi></small><% } %>`;

const TIP = ` title="<%= it.title %>"`;

const TABLE = `<% const t = it.block %><section aria-labelledby="t-<%= t.id %>">
<h2 id="t-<%= t.id %>"><%= t.caption %></h2>
<% if (t.rows.length === 0) { %><p class="muted"><%= t.empty %></p>
<% } else { %><div class="scroll"><table>
<thead><tr><% for (const col of t.columns) { %><th scope="col"><%= col %></th><% } %></tr></thead>
<tbody>
<% for (const row of t.rows) { %><tr><% for (const cell of row) { %><td><%~ include('@cell', { cell }) %></td><% } %></tr>
<% } %></tbody>
</table></div>
<% } %><p class="links"><% if (t.nextHref) { %><a href="<%= t.nextHref %>" rel="next"><%= t.nextLabel ?? 'Older →' %></a> <% } %><% if (t.csvHref) { %><a href="<%= t.csvHref %>" download>Download CSV</a><% } %></p>
</section>`;

const CHART = `<section><h2><%= it.block.caption %></h2><figure><%~ it.block.svg %></figure></section>`;

const FACTS = `<section><h2><%= it.block.caption %></h2><dl class="facts">
<% for (const item of it.block.items) { %><dt><%= item.label %></dt><dd><%~ include('@cell', { cell: item.value }) %></dd>
<% } %></dl></section>`;

const FORM = `<% const f = it.block %><section><h2><%= f.caption %></h2>
<form method="get" action="<%= f.action %>" class="filters">
<% for (const field of f.fields) { %><label><span><%= field.label %></span>
<% if (field.kind === 'select') { %><select name="<%= field.name %>"><% for (const o of field.options) { %><option value="<%= o.value %>"<% if (o.value === field.value) { %> selected<% } %>><%= o.label %></option><% } %></select>
<% } else { %><input type="<%= field.type %>" name="<%= field.name %>" value="<%= field.value %>"<% if (field.type === 'datetime-local') { %> step="1"<% } %><% if (field.hint) { %> placeholder="<%= field.hint %>"<% } %>>
<% } %></label>
<% } %><button type="submit"><%= f.submit %></button>
</form></section>`;

const TEXT = `<section><% if (it.block.caption) { %><h2><%= it.block.caption %></h2><% } %>
<% if (it.block.pre) { %><pre class="code"><% for (const line of it.block.lines) { %><%= line.text %>
<% } %></pre><% } else { %><% for (const line of it.block.lines) { %><p><%~ include('@cell', { cell: line }) %></p>
<% } %><% } %></section>`;

const eta = new Eta({ autoEscape: true, escapeFunction: escapeHtml, autoTrim: false, cache: true });
eta.loadTemplate('@layout', LAYOUT);
eta.loadTemplate('@cell', CELL);
eta.loadTemplate('@tip', TIP);
eta.loadTemplate('@table', TABLE);
eta.loadTemplate('@chart', CHART);
eta.loadTemplate('@facts', FACTS);
eta.loadTemplate('@form', FORM);
eta.loadTemplate('@text', TEXT);

export interface LayoutInput {
  page: Page;
  base: string;
  permalink: string;
  generatedAt: string;
  /** The zone the page's times are in, said in the header. */
  zone: string;
  /** What the header's search box holds (the search page's own query). */
  query?: string | undefined;
  nav: { label: string; href: string; current: boolean }[];
}

export function renderPage(input: LayoutInput): string {
  return eta.render('@layout', input);
}
