/**
 * The request pipeline, in the order the brief fixes: log → injected fault → auth →
 * rate limit → the policy list's own limit → route, then the configured latency before answering.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createApiRoutes } from './api-routes.js';
import type { ControlContext } from './control-context.js';
import { createControlRoutes } from './control-routes.js';
import { type FaultInjector, replyForFault } from './faults.js';
import {
  BodyTooLargeError,
  dispatch,
  type Reply,
  readBody,
  replyError,
  replyJson,
  sendReply,
  splitPath,
} from './http-io.js';
import type { PerMinuteLimiter, RateLimiter } from './rate-limit.js';
import type { RequestLog } from './request-log.js';

export interface RequestHandlerDeps {
  control: ControlContext;
  faults: FaultInjector;
  stats: RequestLog;
  rateLimiter: RateLimiter;
  /** GET /v1/policies has a far lower limit of its own than every other call. */
  policyListLimiter: PerMinuteLimiter;
  credentials: { apiId: string; apiKey: string };
  latencyMs: () => number;
  /** Monotonic milliseconds, for the request log and the rate-limit window. */
  nowMs: () => number;
  delay: (ms: number) => Promise<void>;
  /** Wall-clock time, where on-call schedule windows start. */
  now: () => Date;
}

const API_PREFIX = '/api-public';
const CONTROL_PREFIX = '/_sim';
const AUTH_FAILED = { errors: ['Missing or invalid API key and/or API id'] };

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const underPrefix = (path: string, prefix: string): boolean =>
  path === prefix || path.startsWith(`${prefix}/`);

/** Path and query are already split off; an empty segment (`/v1/policies/`) still means the list. */
const isPolicyList = (method: string | undefined, path: string): boolean =>
  method === 'GET' && path.slice(API_PREFIX.length).split('/').filter(Boolean).join('/') === 'v1/policies';

const decodeOrRaw = (path: string): string => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

export function createRequestHandler(
  deps: RequestHandlerDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { faults, stats, rateLimiter, credentials } = deps;
  const apiRoutes = createApiRoutes(deps.control.org, { now: deps.now, contacts: deps.control.contacts });
  const controlRoutes = createControlRoutes(deps.control);

  const route = async (req: IncomingMessage, prefix: string, routes: typeof apiRoutes): Promise<Reply> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    let segments: string[];
    try {
      segments = splitPath(url.pathname.slice(prefix.length));
    } catch {
      return replyError(400, 'Malformed percent-encoding in path');
    }
    const rawBody = await readBody(req);
    return dispatch(routes, { method: req.method ?? 'GET', segments, query: url.searchParams, rawBody });
  };

  const answerApi = async (req: IncomingMessage, path: string): Promise<Reply | 'hang'> => {
    const fault = faults.take(path);
    if (fault) return replyForFault(fault);
    if (!underPrefix(path, API_PREFIX)) return replyError(404, 'Resource not found');

    const apiId = header(req, 'x-vo-api-id');
    const apiKey = header(req, 'x-vo-api-key');
    if (!apiId || !apiKey) return replyError(401, 'Missing X-VO-Api-Id or X-VO-Api-Key header');
    if (apiId !== credentials.apiId || apiKey !== credentials.apiKey) return replyJson(403, AUTH_FAILED);

    if (!rateLimiter.admit(apiKey, deps.nowMs())) {
      const limit = rateLimiter.config;
      const headers: Record<string, string> = limit?.retryAfter ? { 'retry-after': '1' } : {};
      // VictorOps has answered rate limits with 403 and the auth-failure body; clients cannot tell.
      return limit?.status === 403
        ? replyJson(403, AUTH_FAILED, headers)
        : replyJson(429, { error: 'Too Many Requests' }, headers);
    }
    if (isPolicyList(req.method, path) && !deps.policyListLimiter.admit(apiKey, deps.nowMs())) {
      // The documented limit is about one call a minute; no Retry-After says when to come back.
      return replyJson(429, { error: 'rate limit exceeded' });
    }
    return route(req, API_PREFIX, apiRoutes);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = decodeOrRaw(url.pathname);
    if (underPrefix(path, CONTROL_PREFIX)) {
      sendReply(res, await route(req, CONTROL_PREFIX, controlRoutes));
      return;
    }
    const entry = stats.record(req.method ?? 'GET', path, deps.nowMs());
    const reply = await answerApi(req, path);
    if (reply === 'hang') return;
    const latency = deps.latencyMs();
    if (latency > 0) await deps.delay(latency);
    entry.status = reply.status;
    sendReply(res, reply);
  };

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const reply =
        error instanceof BodyTooLargeError
          ? replyError(413, error.message)
          : replyError(500, `Simulator error: ${error instanceof Error ? error.message : String(error)}`);
      sendReply(res, reply);
    });
  };
}
