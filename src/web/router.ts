/**
 * The web view's request handler: GET-only routes under a base path (`/ui`), every response with
 * a strict Content-Security-Policy (no script at all, styles only from our own stylesheet), no
 * sniffing, no framing and no caching. It reads through store queries and never writes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OncallConfig } from '../config/oncall.js';
import type { UiAuth } from '../config/ui.js';
import { PageError } from '../errors.js';
import type { Exemption } from '../roster/identity-types.js';
import type { Store } from '../store/db.js';
import { createAuthorizer } from './auth.js';
import { renderCsv } from './csv.js';
import type { Page, TableBlock } from './model.js';
import { hrefWith, type PageContext } from './pages/context.js';
import { routePage } from './routes.js';
import { FAVICON, STYLESHEET } from './style.js';
import { renderPage } from './templates.js';
import { serverTimeZone } from './time.js';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface UiHandlerDeps {
  store: Store;
  auth: UiAuth;
  /** Defaults to `/ui`. */
  base?: string;
  now?: (() => Date) | undefined;
  /** The zone pages show times in (UI_TIMEZONE); defaults to the server's. */
  timeZone?: string | undefined;
  /** How the On-call page splits hours (ONCALL_*); UTC, Mon-Fri 09:00-17:00, no holidays when absent. */
  oncall?: OncallConfig | undefined;
  /** The identity exemptions, shown on the user pages they apply to. */
  exemptions?: readonly Exemption[] | undefined;
  /** REACH_EXEMPT, shown on the Reachability and policy pages for the keys they apply to. */
  reachExemptions?: readonly Exemption[] | undefined;
}

/** Answers a request if it is the view's, and returns whether it was. */
export type UiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const NAV: { key: Page['nav']; label: string; path: string }[] = [
  { key: 'overview', label: 'Overview', path: '' },
  { key: 'timeline', label: 'Timeline', path: '/timeline' },
  { key: 'roster', label: 'Roster as of…', path: '/roster' },
  { key: 'oncall', label: 'On call', path: '/oncall' },
  { key: 'findings', label: 'Findings', path: '/findings' },
  { key: 'policies', label: 'Policies', path: '/policies' },
  { key: 'reachability', label: 'Reachability', path: '/reachability' },
  { key: 'runs', label: 'Runs', path: '/runs' },
  { key: 'deliveries', label: 'Deliveries', path: '/deliveries' },
];

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function createUiHandler(deps: UiHandlerDeps): UiHandler {
  const base = deps.base ?? '/ui';
  const zone = deps.timeZone ?? serverTimeZone();
  const authorize = createAuthorizer(deps.auth);
  const layout = (page: Page, url: URL, now: Date, pathname = url.pathname) =>
    renderPage({
      page,
      base,
      permalink: pathname + url.search,
      generatedAt: now.toISOString(),
      zone,
      query: page.query,
      nav: NAV.map((n) => ({ label: n.label, href: `${base}${n.path}`, current: n.key === page.nav })),
    });
  const errorPage = (status: number, message: string, url: URL, now: Date) =>
    layout(
      {
        title: status === 404 ? 'Not found' : 'Bad request',
        nav: 'none',
        heading: status === 404 ? 'Not found' : 'Bad request',
        blocks: [{ kind: 'text', lines: [{ text: message }] }],
      },
      url,
      now,
    );

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // The path as sent: URL parsing folds `%2E%2E` into the parent, and a user may be called `..`.
    const rawPath = (req.url ?? '/').split(/[?#]/)[0] ?? '';
    const pathname = rawPath.startsWith('/') ? rawPath : url.pathname;
    if (pathname !== base && !pathname.startsWith(`${base}/`)) return false;
    const auth = await authorize({ headers: req.headers, remoteAddress: req.socket.remoteAddress });
    if (!auth.ok && 'retryAfterSeconds' in auth) {
      send(
        res,
        429,
        'text/plain; charset=utf-8',
        'too many failed sign-ins from this address: try again later\n',
        {
          'retry-after': String(auth.retryAfterSeconds),
        },
      );
      return true;
    }
    if (!auth.ok) {
      const headers: Record<string, string> = auth.challenge
        ? { 'www-authenticate': 'Basic realm="roster-watch", charset="UTF-8"' }
        : {};
      send(res, 401, 'text/plain; charset=utf-8', 'authentication required\n', headers);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'the web view is read-only: GET only\n', {
        allow: 'GET, HEAD',
      });
      return true;
    }
    const rest = pathname.slice(base.length) || '/';
    if (rest === '/static/style.css') {
      send(res, 200, 'text/css; charset=utf-8', STYLESHEET);
      return true;
    }
    if (rest === '/static/favicon.svg') {
      send(res, 200, 'image/svg+xml', FAVICON);
      return true;
    }
    const now = deps.now?.() ?? new Date();
    const csv = rest.endsWith('.csv');
    const ctx: PageContext = {
      store: deps.store,
      base,
      url,
      now,
      csv,
      zone,
      oncall: deps.oncall,
      exemptions: deps.exemptions,
      reachExemptions: deps.reachExemptions,
    };
    try {
      const page = routePage(csv ? rest.slice(0, -4) : rest, ctx);
      if (page === null) {
        send(
          res,
          404,
          'text/html; charset=utf-8',
          errorPage(404, `There is no page at ${pathname}.`, url, now),
        );
        return true;
      }
      if (!csv) {
        for (const block of page.blocks) {
          if (block.kind === 'table') block.csvHref = csvHref(url, pathname, base, block.id);
        }
        send(res, 200, 'text/html; charset=utf-8', layout(page, url, now, pathname));
        return true;
      }
      const wanted = url.searchParams.get('table');
      const table = page.blocks.find(
        (b): b is TableBlock => b.kind === 'table' && (wanted === null || b.id === wanted),
      );
      if (table === undefined) throw new PageError(404, `This page has no table "${wanted ?? ''}".`);
      const name = `${(rest.slice(1, -4) || 'overview').replace(/[^A-Za-z0-9._-]+/g, '-')}-${table.id}.csv`;
      send(res, 200, 'text/csv; charset=utf-8', renderCsv(table), {
        'content-disposition': `attachment; filename="${name}"`,
      });
      return true;
    } catch (error) {
      if (!(error instanceof PageError)) throw error;
      send(res, error.status, 'text/html; charset=utf-8', errorPage(error.status, error.message, url, now));
      return true;
    }
  };
}

function csvHref(url: URL, pathname: string, base: string, tableId: string): string {
  const params = Object.fromEntries(url.searchParams.entries());
  const trimmed = pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  // The overview's own path is the base; its CSV lives below it, with the other pages'.
  const path = trimmed === base ? `${base}/overview` : trimmed;
  return hrefWith(`${path}.csv`, { ...params, table: tableId });
}
