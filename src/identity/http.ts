/**
 * The HTTP under the Okta, Entra and Google adapters: one undici agent per source with a timeout,
 * JSON bodies, the wait a Retry-After asks for, and the same-origin check of a next-page URL.
 * Secrets travel only in headers and never appear in an error message. The retry loop and the
 * token cache on top of it are in provider-http.ts.
 */
import { Agent, request } from 'undici';
import type { Clock } from '../clock.js';
import { IdentitySourceError } from '../errors.js';
import { parseRetryAfter } from '../parse/retry-after.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface JsonHttp {
  send(
    url: string,
    init: { method?: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
    signal: AbortSignal,
  ): Promise<HttpResponse>;
  /** Counts a retry (and whether the server asked for it by rate limiting). */
  noteRetry(rateLimited: boolean): void;
  stats(): { requests: number; retries: number; rateLimited: number };
  close(): Promise<void>;
}

export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * How long to wait before retry `attempt` (0-based): the provider's Retry-After (seconds or an HTTP
 * date) when it sent a usable one, else 1 s doubling. An empty header is no header (Number('') is
 * 0, which turned five retries into five immediate ones).
 */
export function retryWaitMs(res: HttpResponse, attempt: number, nowMs: number): number {
  return parseRetryAfter(header(res, 'retry-after'), nowMs) ?? 1_000 * 2 ** attempt;
}

/**
 * A list read stops with a failure beyond this many pages (ten million users at 200 a page, far
 * beyond any org) or this long, so a next-page pointer that leads nowhere new cannot spin forever.
 */
export const MAX_LIST_PAGES = 50_000;
export const MAX_LIST_MS = 30 * 60_000;

/**
 * Guards one list read against paging forever: `next(cursor)` before each page (its URL or token)
 * fails the read when the cursor was read before, after MAX_LIST_PAGES pages, or after MAX_LIST_MS
 * of paging. `pointer` names what leads to the next page (Okta's Link header, Graph's
 * `@odata.nextLink`, Google's `nextPageToken`); the cursor itself is never shown.
 */
export function createPagingGuard(label: string, pointer: string, clock: Clock) {
  const seen = new Set<string>();
  const startedMs = clock.now();
  return {
    next(cursor: string): void {
      const why = seen.has(cursor)
        ? `${pointer} points to a page already read`
        : seen.size >= MAX_LIST_PAGES
          ? `more than ${MAX_LIST_PAGES} pages`
          : clock.now() - startedMs > MAX_LIST_MS
            ? `still paging after ${MAX_LIST_MS / 60_000} minutes`
            : null;
      if (why !== null)
        throw new IdentitySourceError(
          'bad-response',
          `${label}: ${why} (after ${seen.size} pages): the user list never ends, so it is not trusted`,
          false,
        );
      seen.add(cursor);
    },
  };
}

export function createJsonHttp(options: { label: string; timeoutMs: number }): JsonHttp {
  const agent = new Agent({
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
  });
  const counts = { requests: 0, retries: 0, rateLimited: 0 };
  return {
    async send(url, init, signal) {
      counts.requests += 1;
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, {
          method: init.method ?? 'GET',
          headers: init.headers,
          ...(init.body === undefined ? {} : { body: init.body }),
          dispatcher: agent,
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw error;
        const code = (error as { code?: string }).code ?? (error as Error).name;
        const timeout = /TIMEOUT/i.test(code);
        throw new IdentitySourceError(
          timeout ? 'timeout' : 'unreachable',
          `${options.label}: ${timeout ? 'no answer in time' : 'cannot connect'} (${code}) for ${new URL(url).origin}`,
          true,
          { cause: error },
        );
      }
      const text = await res.body.text();
      let body: unknown = null;
      if (text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = text.slice(0, 200);
        }
      }
      return { status: res.statusCode, headers: res.headers, body };
    },
    stats: () => ({ ...counts }),
    noteRetry(rateLimited: boolean) {
      counts.retries += 1;
      if (rateLimited) counts.rateLimited += 1;
    },
    close: () => agent.close(),
  };
}

/**
 * The next page's URL, only if it stays on the configured origin: a token must never be sent to
 * a host that a response body or header named.
 */
export function sameOriginOrFail(label: string, next: string, base: string): string {
  const url = new URL(next, base);
  if (url.origin !== new URL(base).origin)
    throw new IdentitySourceError(
      'bad-response',
      `${label}: the next page points to another host (${url.origin}); refusing to send the credentials there`,
      false,
    );
  return url.toString();
}

/** Waits `ms` on the clock, or fails when it is longer than a sync can reasonably wait. */
export async function waitOrFail(
  clock: Clock,
  label: string,
  ms: number,
  maxWaitMs: number,
  signal: AbortSignal,
): Promise<void> {
  if (ms > maxWaitMs)
    throw new IdentitySourceError(
      'rate-limited',
      `${label}: rate limited for ${Math.ceil(ms / 1000)} s, longer than this sync waits (${Math.ceil(maxWaitMs / 1000)} s)`,
      true,
    );
  await clock.sleep(Math.max(0, ms), signal);
}
