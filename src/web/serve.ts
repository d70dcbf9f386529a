/**
 * `roster-watch ui`: the web view on its own HTTP server, over a database opened read-only, with
 * no polling and no delivery. `/` redirects to the view.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OncallConfig } from '../config/oncall.js';
import type { UiAuth } from '../config/ui.js';
import type { Logger } from '../logger.js';
import type { Exemption } from '../roster/identity-types.js';
import type { Store } from '../store/db.js';
import { createUiHandler, SECURITY_HEADERS } from './router.js';

export interface UiServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function startUiServer(deps: {
  store: Store;
  auth: UiAuth;
  host: string;
  port: number;
  logger: Logger;
  /** The view's clock (tests pin it so pages and screenshots are reproducible). */
  now?: (() => Date) | undefined;
  /** UI_TIMEZONE; defaults to the server's zone. */
  timeZone?: string | undefined;
  oncall?: OncallConfig | undefined;
  exemptions?: readonly Exemption[] | undefined;
  reachExemptions?: readonly Exemption[] | undefined;
}): Promise<UiServer> {
  const handle = createUiHandler({
    store: deps.store,
    auth: deps.auth,
    timeZone: deps.timeZone,
    now: deps.now,
    oncall: deps.oncall,
    exemptions: deps.exemptions,
    reachExemptions: deps.reachExemptions,
  });
  const server = createServer((req, res) => {
    handle(req, res)
      .then((handled) => {
        if (handled) return;
        // Every answer carries the view's security headers, and the server is read-only throughout.
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, {
            ...SECURITY_HEADERS,
            'content-type': 'text/plain; charset=utf-8',
            allow: 'GET, HEAD',
          });
          res.end('the web view is read-only: GET only\n');
          return;
        }
        if (req.url === '/' || req.url === '') {
          res.writeHead(302, { ...SECURITY_HEADERS, location: '/ui' });
          res.end();
          return;
        }
        res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found: the web view is under /ui\n');
      })
      .catch((error: unknown) => {
        deps.logger.error({ err: error, url: req.url }, 'the web view could not answer');
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end('internal error: see the log\n');
        } else res.destroy();
      });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, deps.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = deps.host.includes(':') ? `[${deps.host}]` : deps.host;
  return {
    port,
    url: `http://${host}:${port}/ui`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
