/**
 * The Okta adapter: `GET /api/v1/users` with an SSWS token, every page (`Link: <…>; rel="next"`),
 * read twice because the plain list omits DEPROVISIONED users, which are exactly the leavers.
 * Okta's X-Rate-Limit-* headers pace it: a 429 (or an exhausted window) waits for the reset.
 */

import type { OktaSourceConfig } from '../config/identity-okta.js';
import type { IndexWanted } from '../roster/identity-match.js';
import type { Identity } from '../roster/identity-types.js';
import {
  createPagingGuard,
  type HttpResponse,
  header,
  retryWaitMs,
  sameOriginOrFail,
  waitOrFail,
} from './http.js';
import { KeptById } from './kept.js';
import {
  OKTA_STATUS_ACTIVE,
  type OktaUser,
  oktaErrorSchema,
  oktaUserListSchema,
  parseNextLink,
} from './okta-schemas.js';
import {
  type Credentials,
  createProviderHttp,
  type PageCheck,
  type ProviderHttpOptions,
} from './provider-http.js';
import {
  type IdentitySource,
  type IdentitySourceDeps,
  type IdentitySourcePlugin,
  type KeptRead,
  readWholeOrKept,
  statusAndCode,
  uniqueEmails,
} from './source.js';

const LABEL = 'Okta';
/** The longest a sync waits for Okta's rate-limit window to reset (its windows are one minute). */
const MAX_RATE_LIMIT_WAIT_MS = 90_000;
export function oktaUserToIdentity(user: OktaUser): Identity {
  const p = user.profile;
  const name = p.displayName ?? ([p.firstName, p.lastName].filter(Boolean).join(' ') || null);
  return {
    source: 'okta',
    id: user.id,
    emails: uniqueEmails([p.email, p.secondEmail, p.login]),
    displayName: name,
    // Own keys only: a status named like an Object method ("toString") is unknown, not a function.
    active: Object.hasOwn(OKTA_STATUS_ACTIVE, user.status) ? (OKTA_STATUS_ACTIVE[user.status] ?? null) : null,
    status: user.status,
    statusChangedAt: user.statusChanged ?? null,
  };
}

/** The status and Okta's errorCode only: an errorSummary may echo the request's SSWS token. */
function describeFailure(res: HttpResponse): string {
  return statusAndCode(res.status, oktaErrorSchema.safeParse(res.body).data?.errorCode);
}

/** Milliseconds until X-Rate-Limit-Reset (epoch seconds), at least one second. */
function untilReset(res: HttpResponse, nowMs: number): number {
  const reset = Number(header(res, 'x-rate-limit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(1_000, reset * 1000 - nowMs + 500) : 1_000;
}

const OKTA_HTTP: ProviderHttpOptions = {
  label: LABEL,
  maxWaitMs: MAX_RATE_LIMIT_WAIT_MS,
  describeFailure,
  // A 429 waits for Okta's window to reset; a 5xx waits as every provider's does.
  retryWaitMs: (res, attempt, nowMs) =>
    res.status === 429 ? untilReset(res, nowMs) : retryWaitMs(res, attempt, nowMs),
};

const PAGE_CHECK: PageCheck<OktaUser[]> = {
  schema: oktaUserListSchema,
  what: 'user list',
  request: 'GET /api/v1/users',
  denied: (failure) => `${failure}: check OKTA_API_TOKEN and that its admin may read users`,
};

export const oktaSource: IdentitySourcePlugin<'okta'> = {
  kind: 'okta',
  create: createOktaSource,
};

export function createOktaSource(config: OktaSourceConfig, deps: IdentitySourceDeps): IdentitySource {
  const http = createProviderHttp(OKTA_HTTP, [config.apiToken], deps);
  // An SSWS token does not expire and has no token endpoint: nothing to renew after a 401.
  const sswsToken = `SSWS ${config.apiToken}`;
  const credentials: Credentials = { authorization: async () => sswsToken };
  const base = `${config.orgUrl}/api/v1/users`;

  async function getPage(
    url: string,
    signal: AbortSignal,
  ): Promise<{ users: OktaUser[]; next: string | null; waitMs: number }> {
    const { data, res } = await http.getPage(url, credentials, PAGE_CHECK, signal);
    const next = parseNextLink(res.headers.link);
    // An exhausted window is waited out before the next call rather than spent on a 429.
    const remaining = Number(header(res, 'x-rate-limit-remaining'));
    const waitMs = next !== null && remaining === 0 ? untilReset(res, deps.clock.now()) : 0;
    return { users: data, next: next === null ? null : sameOriginOrFail(LABEL, next, base), waitMs };
  }

  /** Every user of the list from `first`, page by page, each handed to `each` and not held. */
  async function listAll(first: string, signal: AbortSignal, each: (user: OktaUser) => void): Promise<void> {
    const guard = createPagingGuard(LABEL, 'the next page', deps.clock);
    let url: string | null = first;
    while (url !== null) {
      guard.next(url);
      const page = await getPage(url, signal);
      for (const user of page.users) each(user);
      if (page.waitMs > 0 && page.next !== null)
        await waitOrFail(deps.clock, LABEL, page.waitMs, MAX_RATE_LIMIT_WAIT_MS, signal);
      url = page.next;
    }
  }

  /**
   * Both lists into `out`: a user in both (deprovisioned between the two reads) counts once, as
   * the second list has them. With `wanted`, only the users a recorded user can match are held.
   */
  async function readBoth(signal: AbortSignal, wanted: IndexWanted | null): Promise<KeptRead> {
    const out = new KeptById(wanted);
    const add = (user: OktaUser) => out.add(oktaUserToIdentity(user));
    const limit = `limit=${config.pageLimit}`;
    await listAll(`${base}?${limit}`, signal, add);
    await listAll(`${base}?${limit}&filter=${encodeURIComponent('status eq "DEPROVISIONED"')}`, signal, add);
    return out.result();
  }

  return {
    name: 'okta',
    kind: 'okta',
    ...readWholeOrKept(readBoth),
    stats: () => http.stats(),
    close: () => http.close(),
  };
}
