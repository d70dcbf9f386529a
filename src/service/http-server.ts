/**
 * The sidecar's HTTP face: /healthz (liveness: the process loop answers), /readyz (the database is
 * usable and the roster is fresh) and /metrics (Prometheus text). Plain node:http: three GET
 * routes do not need a framework.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpServerError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { UiHandler } from '../web/router.js';

export type ProbeResult = { ok: true; body: Record<string, unknown> } | { ok: false; reason: string };

export interface ReadinessInput {
  nowMs: number;
  startedAtMs: number;
  intervalMs: number;
  /** Whether the database answers a query against the migrated schema, and why not. */
  database: { ok: true } | { ok: false; reason: string };
  /** When the last successful poll finished, from the database (so it survives restarts). */
  lastSuccessAtMs: number | null;
  /** Polls that finished (whatever their outcome) since this process started. */
  pollsFinishedSinceStart: number;
  stopping: boolean;
}

/** What liveness is judged on: how long each running poll has run (monotonic ms), and its limit. */
export interface LivenessInput {
  /** One entry per scheduler: null while none of its polls runs. */
  polls: readonly { label: string; runningMs: number | null; limitMs: number }[];
}

/**
 * Alive unless a poll has run past its limit (its fetch deadline and any wait before it, plus a
 * margin): every fetch ends at its deadline, so a poll still running after that is a stuck loop.
 */
export function assessLiveness(input: LivenessInput): ProbeResult {
  for (const poll of input.polls) {
    if (poll.runningMs !== null && poll.runningMs > poll.limitMs) {
      const seconds = Math.round(poll.runningMs / 1000);
      return {
        ok: false,
        reason: `${poll.label} has been running for ${seconds} s, past its fetch deadline: the loop is stuck`,
      };
    }
  }
  return { ok: true, body: { status: 'ok' } };
}

/**
 * Ready when the database is usable and the last successful poll is younger than twice the
 * schedule interval: one missed or failed poll is tolerated, two in a row are not. A process that
 * has not finished a poll yet is "starting" and ready for the same grace, so a restart does not
 * flap readiness while the first (possibly long) poll runs.
 */
export function assessReadiness(input: ReadinessInput): ProbeResult {
  if (input.stopping) return { ok: false, reason: 'the service is shutting down' };
  if (!input.database.ok) return { ok: false, reason: input.database.reason };
  const maxAgeMs = 2 * input.intervalMs;
  const lastSuccessAt = input.lastSuccessAtMs === null ? null : new Date(input.lastSuccessAtMs).toISOString();
  if (input.lastSuccessAtMs !== null && input.nowMs - input.lastSuccessAtMs < maxAgeMs) {
    return { ok: true, body: { status: 'ready', lastSuccessAt } };
  }
  const upMs = input.nowMs - input.startedAtMs;
  if (input.pollsFinishedSinceStart === 0 && upMs < maxAgeMs) {
    return { ok: true, body: { status: 'starting', lastSuccessAt } };
  }
  const seconds = Math.round(maxAgeMs / 1000);
  if (input.lastSuccessAtMs === null) {
    return {
      ok: false,
      reason:
        input.pollsFinishedSinceStart === 0
          ? `no poll has finished within ${seconds} s of start-up (twice the schedule interval)`
          : 'no poll has succeeded yet: see the logs or `roster-watch runs` for the error',
    };
  }
  return {
    ok: false,
    reason: `the last successful poll finished at ${lastSuccessAt}, more than ${seconds} s ago (twice the schedule interval)`,
  };
}

export interface HttpServerDeps {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  liveness: () => ProbeResult;
  readiness: () => ProbeResult;
  metrics: { contentType: string; render(): Promise<string> };
  /** The read-only web view under /ui, when UI_ENABLED=true. */
  ui?: UiHandler | undefined;
}

export interface HttpServer {
  /** The bound port (the real one when 0 was asked for). */
  port: number;
  /** Stops accepting connections, ends idle keep-alive ones and waits for open requests. */
  close(): Promise<void>;
  /** Drops every connection at once (the forced end of a shutdown). */
  destroy(): void;
}

function sendJson(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function sendProbe(res: ServerResponse, result: ProbeResult): void {
  if (result.ok) sendJson(res, 200, result.body);
  else sendJson(res, 503, { status: 'unavailable', reason: result.reason });
}

async function route(deps: HttpServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (deps.ui !== undefined && (await deps.ui(req, res))) return;
  const known = path === '/healthz' || path === '/readyz' || path === '/metrics';
  if (!known) return sendJson(res, 404, { status: 'not found', routes: ['/healthz', '/readyz', '/metrics'] });
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJson(res, 405, { status: 'method not allowed' });
  }
  if (path === '/healthz') return sendProbe(res, deps.liveness());
  if (path === '/readyz') return sendProbe(res, deps.readiness());
  const text = await deps.metrics.render();
  res.writeHead(200, { 'content-type': deps.metrics.contentType, 'cache-control': 'no-store' });
  res.end(text);
}

export async function startHttpServer(deps: HttpServerDeps): Promise<HttpServer> {
  const server = createServer((req, res) => {
    route(deps, req, res).catch((error: unknown) => {
      deps.logger.error({ err: error, url: req.url }, 'the health server could not answer');
      if (!res.headersSent) sendJson(res, 500, { status: 'error' });
      else res.destroy();
    });
  });
  // Probes arrive every few seconds on keep-alive connections; a short idle timeout keeps
  // shutdown from waiting on them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? ': the port is in use; set HTTP_PORT to a free one' : '';
      reject(
        new HttpServerError(
          `cannot listen on ${deps.host}:${deps.port} (${error.code ?? error.message})${hint}`,
          { cause: error },
        ),
      );
    });
    server.listen(deps.port, deps.host, () => resolve());
  });
  server.on('error', (error) => deps.logger.error({ err: error }, 'health server error'));
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      return closing;
    },
    destroy() {
      server.closeAllConnections();
    },
  };
}
