/**
 * What the Okta, Entra and Google adapters share on top of createJsonHttp: a request repeated
 * while the provider answers 429 or 5xx (waiting what it asks, or backing off), a page read with
 * credentials that renews a refused bearer token once, and the bearer token itself, fetched when
 * needed, cached until shortly before it expires and scrubbed from every text like a configured
 * secret. Every failure names the status and the provider's error code only (`describeFailure`).
 */
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import { IdentitySourceError } from '../errors.js';
import { registerRuntimeSecret, registerSecrets } from '../redact.js';
import type { FetchStats } from '../roster/types.js';
import { createJsonHttp, type HttpResponse, type JsonHttp, retryWaitMs, waitOrFail } from './http.js';
import type { IdentitySourceDeps } from './source.js';

/** How often a 429 or 5xx is retried before the read fails. */
export const MAX_RETRIES = 5;

/** What a provider's HTTP is, whatever it is configured with. */
export interface ProviderHttpOptions {
  /** What every message starts with ("Okta", "Microsoft Graph", "Google Workspace"). */
  label: string;
  /** A longer wait than this before a retry fails the read instead (rate-limited). */
  maxWaitMs: number;
  /** The status and the provider's error code only (statusAndCode): its prose may echo a secret. */
  describeFailure(res: HttpResponse): string;
  /** The wait before retry `attempt` (0-based): Retry-After, else 1 s doubling, unless the provider paces otherwise. */
  retryWaitMs?(res: HttpResponse, attempt: number, nowMs: number): number;
}

/** How a page request is authorised. */
export interface Credentials {
  /** The Authorization header's value. */
  authorization(signal: AbortSignal): Promise<string>;
  /** Forgets a token the provider refused (401), so the next request has a fresh one; none for a token that cannot be renewed. */
  renew?(): void;
}

export interface PageCheck<T> {
  schema: z.ZodType<T>;
  /** "user list", "user page": in `unexpected user page (path: problem)`. */
  what: string;
  /** The request as a message names it ("GET /v1.0/users"). */
  request: string;
  /** The message of a 401 or 403 (after one renewal) from the described failure. */
  denied(failure: string): string;
}

export interface ProviderHttp {
  /** Sends until the answer is neither 429 nor 5xx, or fails after MAX_RETRIES; `label` names what was asked. */
  sendRetrying(
    url: string,
    init: Parameters<JsonHttp['send']>[1],
    signal: AbortSignal,
    label?: string,
  ): Promise<HttpResponse>;
  /** One page: a well-formed 200 and its headers, or a typed failure (never a partial read). */
  getPage<T>(
    url: string,
    credentials: Credentials,
    check: PageCheck<T>,
    signal: AbortSignal,
  ): Promise<{ data: T; res: HttpResponse }>;
  describeFailure(res: HttpResponse): string;
  stats(): FetchStats;
  close(): Promise<void>;
}

/** `secrets`: the configured credentials (a token, a client secret, a key), scrubbed from every text. */
export function createProviderHttp(
  options: ProviderHttpOptions,
  secrets: string[],
  deps: IdentitySourceDeps,
): ProviderHttp {
  registerSecrets(secrets);
  const http = createJsonHttp({ label: options.label, timeoutMs: deps.timeoutMs });
  const { clock } = deps;
  const { describeFailure } = options;
  const waitFor = options.retryWaitMs ?? retryWaitMs;

  /**
   * `send` until the answer is neither 429 nor 5xx; each attempt builds its request afresh.
   * `retries` counts the retries spent on one page, across a token renewal: the page gets
   * MAX_RETRIES in all, not MAX_RETRIES on each side of the renewal.
   */
  async function retrying(
    send: () => Promise<HttpResponse>,
    signal: AbortSignal,
    label: string,
    retries = { used: 0 },
  ): Promise<HttpResponse> {
    for (;;) {
      const res = await send();
      if (res.status !== 429 && res.status < 500) return res;
      const attempt = retries.used++;
      if (attempt >= MAX_RETRIES)
        throw new IdentitySourceError(
          res.status === 429 ? 'rate-limited' : 'unreachable',
          `${label}: ${describeFailure(res)} after ${MAX_RETRIES} retries`,
          true,
        );
      http.noteRetry(res.status === 429);
      await waitOrFail(clock, label, waitFor(res, attempt, clock.now()), options.maxWaitMs, signal);
    }
  }

  return {
    sendRetrying: (url, init, signal, label = options.label) =>
      retrying(() => http.send(url, init, signal), signal, label),
    async getPage(url, credentials, check, signal) {
      // The token is asked for at every attempt: one that expires during the waits is renewed.
      const retries = { used: 0 };
      const send = () =>
        retrying(
          async () =>
            http.send(
              url,
              {
                headers: {
                  authorization: await credentials.authorization(signal),
                  accept: 'application/json',
                },
              },
              signal,
            ),
          signal,
          options.label,
          retries,
        );
      let res = await send();
      if (res.status === 401 && credentials.renew !== undefined) {
        // The token may have been revoked or expired early: one fresh token, then give up.
        credentials.renew();
        res = await send();
      }
      if (res.status === 401 || res.status === 403)
        throw new IdentitySourceError(
          'auth',
          `${options.label}: ${check.denied(describeFailure(res))}`,
          false,
        );
      if (res.status !== 200)
        throw new IdentitySourceError(
          'bad-response',
          `${options.label}: ${describeFailure(res)} for ${check.request}`,
          false,
        );
      const parsed = check.schema.safeParse(res.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new IdentitySourceError(
          'bad-response',
          `${options.label}: unexpected ${check.what} (${issue?.path.join('.') || 'body'}: ${issue?.message})`,
          false,
        );
      }
      return { data: parsed.data, res };
    },
    describeFailure,
    stats: () => http.stats(),
    close: () => http.close(),
  };
}

export interface TokenEndpoint {
  url: string;
  /** What its messages start with ("Entra ID token"). */
  label: string;
  /** The form to post, built for each fetch (a signed assertion is dated). */
  form(nowMs: number): Record<string, string>;
  schema: z.ZodType<{ access_token: string; expires_in: number }>;
  /** What to check when the endpoint refuses the credentials (400, 401 or 403). */
  refusedHint: string;
  /** The token is renewed this long before the provider says it expires. */
  marginMs: number;
}

/**
 * Bearer credentials from an OAuth token endpoint: fetched on first use, kept until `marginMs`
 * before they expire, waited out like a page while the endpoint is throttled or down, and each
 * token registered as a secret. A refused credential fails at once (auth, not retried).
 */
export function bearerToken(http: ProviderHttp, clock: Clock, endpoint: TokenEndpoint): Credentials {
  let token: { value: string; expiresAtMs: number } | null = null;

  async function fetchToken(signal: AbortSignal): Promise<{ value: string; expiresAtMs: number }> {
    const res = await http.sendRetrying(
      endpoint.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(endpoint.form(clock.now())).toString(),
      },
      signal,
      endpoint.label,
    );
    if (res.status !== 200) {
      const refused = res.status === 400 || res.status === 401 || res.status === 403;
      throw new IdentitySourceError(
        refused ? 'auth' : 'unreachable',
        `${endpoint.label}: ${http.describeFailure(res)}${refused ? `: ${endpoint.refusedHint}` : ''}`,
        !refused,
      );
    }
    const parsed = endpoint.schema.safeParse(res.body);
    if (!parsed.success)
      throw new IdentitySourceError(
        'bad-response',
        `${endpoint.label}: the response has no access_token`,
        false,
      );
    // A provider may echo the bearer token in an error body: it is scrubbed like a configured secret.
    registerRuntimeSecret(parsed.data.access_token);
    return {
      value: parsed.data.access_token,
      expiresAtMs: clock.now() + parsed.data.expires_in * 1000 - endpoint.marginMs,
    };
  }

  return {
    async authorization(signal) {
      if (token === null || token.expiresAtMs <= clock.now()) token = await fetchToken(signal);
      return `Bearer ${token.value}`;
    },
    renew() {
      token = null;
    },
  };
}
