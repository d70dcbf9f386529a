/**
 * The Microsoft Entra ID adapter: a client-credentials token from the identity platform, then
 * `GET /v1.0/users?$select=…` following `@odata.nextLink` to the end. A 429 or 503 waits for
 * Retry-After (or backs off when there is none); a 401 fetches one fresh token before failing.
 */

import type { Clock } from '../clock.js';
import type { EntraSourceConfig } from '../config/identity-entra.js';
import { IdentitySourceError } from '../errors.js';
import { registerRuntimeSecret, registerSecrets } from '../redact.js';
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
import { createJsonHttp, type HttpResponse, retryWaitMs, sameOriginOrFail, waitOrFail } from './http.js';
import { KeptCollector } from './kept.js';
import {
  type IdentitySource,
  type IdentitySourcePlugin,
  type KeptRead,
  statusAndCode,
  uniqueEmails,
} from './source.js';

const LABEL = 'Microsoft Graph';
const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const MAX_RETRIES = 5;
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

export const entraSource: IdentitySourcePlugin<'entra'> = {
  kind: 'entra',
  create: (config, deps) => createGraphSource(config, deps),
};

export function createGraphSource(
  config: EntraSourceConfig,
  deps: { clock: Clock; timeoutMs: number },
): IdentitySource {
  registerSecrets([config.clientSecret]);
  const http = createJsonHttp({ label: LABEL, timeoutMs: deps.timeoutMs });
  let token: { value: string; expiresAtMs: number } | null = null;
  const first = `${config.graphUrl}/v1.0/users?$select=${GRAPH_USER_SELECT}&$top=999`;

  async function getToken(signal: AbortSignal): Promise<string> {
    if (token !== null && token.expiresAtMs > deps.clock.now()) return token.value;
    const url = `${config.authorityUrl}/${encodeURIComponent(config.tenantId)}/oauth2/v2.0/token`;
    const body = new URLSearchParams({
      client_id: config.clientId,
      client_secret: config.clientSecret,
      scope: GRAPH_SCOPE,
      grant_type: 'client_credentials',
    }).toString();
    const res = await http.send(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
      signal,
    );
    if (res.status !== 200) {
      const auth = res.status === 400 || res.status === 401;
      throw new IdentitySourceError(
        auth ? 'auth' : 'unreachable',
        `Entra ID token: ${describeFailure(res)}${auth ? ': check ENTRA_TENANT_ID, ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET' : ''}`,
        !auth,
      );
    }
    const parsed = tokenResponseSchema.safeParse(res.body);
    if (!parsed.success)
      throw new IdentitySourceError(
        'bad-response',
        'Entra ID token: the response has no access_token',
        false,
      );
    // Graph may echo the bearer token in an error body: it is scrubbed like a configured secret.
    registerRuntimeSecret(parsed.data.access_token);
    token = {
      value: parsed.data.access_token,
      expiresAtMs: deps.clock.now() + parsed.data.expires_in * 1000 - TOKEN_MARGIN_MS,
    };
    return token.value;
  }

  async function getPage(
    url: string,
    signal: AbortSignal,
  ): Promise<{ users: GraphUser[]; next: string | null }> {
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const res = await http.send(
        url,
        { headers: { Authorization: `Bearer ${await getToken(signal)}`, Accept: 'application/json' } },
        signal,
      );
      if (res.status === 401 && !refreshed) {
        // The token may have been revoked or expired early: one fresh token, then give up.
        token = null;
        refreshed = true;
        continue;
      }
      if (res.status === 429 || res.status === 503 || res.status === 504) {
        if (attempt >= MAX_RETRIES)
          throw new IdentitySourceError(
            'rate-limited',
            `${LABEL}: ${describeFailure(res)} after ${MAX_RETRIES} retries`,
            true,
          );
        http.noteRetry(res.status === 429);
        await waitOrFail(deps.clock, LABEL, retryWaitMs(res, attempt, deps.clock.now()), MAX_WAIT_MS, signal);
        continue;
      }
      if (res.status === 401 || res.status === 403)
        throw new IdentitySourceError(
          'auth',
          `${LABEL}: ${describeFailure(res)}: the app registration needs the User.Read.All application permission`,
          false,
        );
      if (res.status !== 200)
        throw new IdentitySourceError(
          'bad-response',
          `${LABEL}: ${describeFailure(res)} for GET /v1.0/users`,
          false,
        );
      const parsed = graphUserPageSchema.safeParse(res.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new IdentitySourceError(
          'bad-response',
          `${LABEL}: unexpected user page (${issue?.path.join('.') || 'body'}: ${issue?.message})`,
          false,
        );
      }
      const next = parsed.data['@odata.nextLink'];
      return {
        users: parsed.data.value,
        next: next === undefined ? null : sameOriginOrFail(LABEL, next, first),
      };
    }
  }

  /** Every page, each user tallied and held only if a recorded user can match them (`wanted`). */
  async function readAll(signal: AbortSignal, wanted: IndexWanted | null): Promise<KeptRead> {
    const out = new KeptCollector(wanted);
    let url: string | null = first;
    while (url !== null) {
      const page = await getPage(url, signal);
      for (const u of page.users) out.add(graphUserToIdentity(u));
      url = page.next;
    }
    return out.result();
  }

  return {
    name: 'entra',
    kind: 'entra',
    read: async (signal) => (await readAll(signal, null)).identities,
    readKept: (signal, wanted) => readAll(signal, wanted),
    stats: () => http.stats(),
    close: () => http.close(),
  };
}
