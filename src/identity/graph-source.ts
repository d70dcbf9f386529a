/**
 * The Microsoft Entra ID adapter: a client-credentials token from the identity platform, then
 * `GET /v1.0/users?$select=…` following `@odata.nextLink` to the end. A 429 or 5xx (the token
 * endpoint's too) waits for Retry-After or backs off; a 401 fetches one fresh token before failing
 * (src/identity/provider-http.ts).
 */

import type { z } from 'zod';
import type { EntraSourceConfig } from '../config/identity-entra.js';
import type { IndexWanted } from '../roster/identity-match.js';
import type { Identity } from '../roster/identity-types.js';
import {
  GRAPH_USER_SELECT,
  type GraphUser,
  graphErrorSchema,
  graphUserPageSchema,
  smtpAddresses,
  tokenErrorSchema,
  tokenResponseSchema,
} from './graph-schemas.js';
import { createPagingGuard, type HttpResponse, sameOriginOrFail } from './http.js';
import { KeptCollector } from './kept.js';
import {
  bearerToken,
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

const LABEL = 'Microsoft Graph';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const MAX_WAIT_MS = 120_000;
/** Renew a token this long before Microsoft says it expires. */
const TOKEN_MARGIN_MS = 60_000;

export function graphUserToIdentity(user: GraphUser): Identity {
  const enabled = user.accountEnabled;
  return {
    source: 'entra',
    id: user.id ?? user.userPrincipalName ?? '',
    emails: uniqueEmails([
      user.mail,
      ...smtpAddresses(user.proxyAddresses ?? []),
      ...(user.otherMails ?? []),
      user.userPrincipalName,
    ]),
    displayName: user.displayName ?? null,
    active: enabled === true ? true : enabled === false ? false : null,
    status: enabled === true ? 'enabled' : enabled === false ? 'disabled' : 'unknown',
    statusChangedAt: null,
  };
}

/**
 * The status and the error code only (Graph's `error.code`, the token endpoint's `error` and its
 * AADSTS number): messages and descriptions may echo the bearer token or `client_secret=…`.
 */
function describeFailure(res: HttpResponse): string {
  const graph = graphErrorSchema.safeParse(res.body);
  if (graph.success) return statusAndCode(res.status, graph.data.error.code);
  const token = tokenErrorSchema.safeParse(res.body);
  if (token.success) {
    const aadsts = token.data.error_codes?.[0];
    return `${statusAndCode(res.status, token.data.error)}${aadsts === undefined ? '' : ` (AADSTS${aadsts})`}`;
  }
  return `HTTP ${res.status}`;
}

const GRAPH_HTTP: ProviderHttpOptions = {
  label: LABEL,
  maxWaitMs: MAX_WAIT_MS,
  describeFailure,
};

const PAGE_CHECK: PageCheck<z.infer<typeof graphUserPageSchema>> = {
  schema: graphUserPageSchema,
  what: 'user page',
  request: 'GET /v1.0/users',
  denied: (failure) => `${failure}: the app registration needs the User.Read.All application permission`,
};

export const entraSource: IdentitySourcePlugin<'entra'> = {
  kind: 'entra',
  create: createGraphSource,
};

export function createGraphSource(config: EntraSourceConfig, deps: IdentitySourceDeps): IdentitySource {
  const http = createProviderHttp(GRAPH_HTTP, [config.clientSecret], deps);
  const credentials = bearerToken(http, deps.clock, {
    url: `${config.authorityUrl}/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`,
    label: 'Entra ID token',
    form: () => ({
      client_id: config.clientId,
      client_secret: config.clientSecret,
      scope: GRAPH_SCOPE,
      grant_type: 'client_credentials',
    }),
    schema: tokenResponseSchema,
    refusedHint: 'check ENTRA_TENANT_ID, ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET',
    marginMs: TOKEN_MARGIN_MS,
  });
  const first = `${config.graphUrl}/v1.0/users?$select=${GRAPH_USER_SELECT}&$top=999`;

  async function getPage(
    url: string,
    signal: AbortSignal,
  ): Promise<{ users: GraphUser[]; next: string | null }> {
    const { data } = await http.getPage(url, credentials, PAGE_CHECK, signal);
    const next = data['@odata.nextLink'];
    return { users: data.value, next: next === undefined ? null : sameOriginOrFail(LABEL, next, first) };
  }

  /** Every page, each user tallied and held only if a recorded user can match them (`wanted`). */
  async function readAll(signal: AbortSignal, wanted: IndexWanted | null): Promise<KeptRead> {
    const out = new KeptCollector(wanted);
    // A nextLink back to a page already read, or one that never runs out, fails the read.
    const guard = createPagingGuard(LABEL, 'an @odata.nextLink', deps.clock);
    let url: string | null = first;
    while (url !== null) {
      guard.next(url);
      const page = await getPage(url, signal);
      for (const u of page.users) out.add(graphUserToIdentity(u));
      url = page.next;
    }
    return out.result();
  }

  return {
    name: 'entra',
    kind: 'entra',
    ...readWholeOrKept(readAll),
    stats: () => http.stats(),
    close: () => http.close(),
  };
}
