/**
 * The Google Workspace adapter: a service account with domain-wide delegation signs an RS256 JWT
 * (node:crypto), trades it at the key's token_uri for an access token, then reads
 * `GET /admin/directory/v1/users` page by page through `nextPageToken`. A 429 or 5xx waits
 * (Retry-After when Google gives one, else backing off); a 401 fetches one fresh token. Any page
 * that fails fails the whole read: a partial directory never reports anyone as gone.
 */
import { sign } from 'node:crypto';
import type { z } from 'zod';
import type { GoogleSourceConfig } from '../config/identity-google.js';
import { registerRuntimeSecret } from '../redact.js';
import type { IndexWanted } from '../roster/identity-match.js';
import type { Identity } from '../roster/identity-types.js';
import {
  DIRECTORY_READONLY_SCOPE,
  type GoogleUser,
  googleErrorSchema,
  googleTokenErrorSchema,
  googleTokenSchema,
  googleUserPageSchema,
  JWT_BEARER_GRANT,
} from './google-schemas.js';
import { createPagingGuard, type HttpResponse } from './http.js';
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

const LABEL = 'Google Workspace';
const MAX_WAIT_MS = 120_000;
/** Google accepts an assertion valid for at most an hour. */
const ASSERTION_LIFETIME_S = 3600;
/** Renew a token this long before Google says it expires. */
const TOKEN_MARGIN_MS = 60_000;
const CHECK_TOKEN =
  'check GOOGLE_WORKSPACE_CREDENTIALS_FILE, GOOGLE_WORKSPACE_ADMIN and the domain-wide delegation of the service account';

/** archived, then suspended: both mean the person cannot sign in; neither set means active. */
export function googleUserToIdentity(user: GoogleUser): Identity {
  const status =
    user.archived === true
      ? 'archived'
      : user.suspended === true
        ? 'suspended'
        : user.suspended === false
          ? 'active'
          : 'unknown';
  return {
    source: 'google',
    id: user.id ?? user.primaryEmail ?? '',
    emails: uniqueEmails([user.primaryEmail, ...(user.aliases ?? []), ...(user.nonEditableAliases ?? [])]),
    displayName: user.name?.fullName ?? null,
    active: status === 'active' ? true : status === 'unknown' ? null : false,
    status,
    statusChangedAt: null,
  };
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** The signed JWT of a service account acting as `admin` (gtoken's claims, test/fixtures/google). */
export function signAssertion(config: GoogleSourceConfig, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({
      iss: config.clientEmail,
      sub: config.admin,
      scope: DIRECTORY_READONLY_SCOPE,
      aud: config.tokenUri,
      iat,
      exp: iat + ASSERTION_LIFETIME_S,
    }),
  );
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), config.privateKey);
  return `${header}.${claims}.${base64url(signature)}`;
}

/** The status and Google's error code only: descriptions and messages may echo what was sent. */
function describeFailure(res: HttpResponse): string {
  const api = googleErrorSchema.safeParse(res.body);
  if (api.success) return statusAndCode(res.status, api.data.error.status);
  const token = googleTokenErrorSchema.safeParse(res.body);
  if (token.success) return statusAndCode(res.status, token.data.error);
  return `HTTP ${res.status}`;
}

/** users.list's first page URL; the next pages add `pageToken`. */
export function usersListUrl(config: GoogleSourceConfig, pageToken: string | null): string {
  const url = new URL(`${config.directoryUrl}/admin/directory/v1/users`);
  if (config.domain !== null) url.searchParams.set('domain', config.domain);
  else url.searchParams.set('customer', config.customer ?? 'my_customer');
  url.searchParams.set('maxResults', String(config.pageSize));
  url.searchParams.set('projection', 'basic');
  if (config.query !== null) url.searchParams.set('query', config.query);
  if (pageToken !== null) url.searchParams.set('pageToken', pageToken);
  return url.toString();
}

type GoogleUserPage = z.infer<typeof googleUserPageSchema>;

const GOOGLE_HTTP: ProviderHttpOptions = {
  label: LABEL,
  maxWaitMs: MAX_WAIT_MS,
  describeFailure,
};

const PAGE_CHECK: PageCheck<GoogleUserPage> = {
  schema: googleUserPageSchema,
  what: 'user page',
  request: 'GET /admin/directory/v1/users',
  denied: (failure) =>
    `${failure} for GET /admin/directory/v1/users: GOOGLE_WORKSPACE_ADMIN must be an admin allowed to read users, and the delegation must grant ${DIRECTORY_READONLY_SCOPE}`,
};

export const googleSource: IdentitySourcePlugin<'google'> = {
  kind: 'google',
  create: createGoogleSource,
};

export function createGoogleSource(config: GoogleSourceConfig, deps: IdentitySourceDeps): IdentitySource {
  const http = createProviderHttp(GOOGLE_HTTP, [config.privateKey], deps);
  const credentials = bearerToken(http, deps.clock, {
    url: config.tokenUri,
    label: `${LABEL} token`,
    form: (nowMs) => {
      const assertion = signAssertion(config, nowMs);
      // A token endpoint that echoes the request would echo the assertion: scrubbed like a secret.
      registerRuntimeSecret(assertion);
      return { grant_type: JWT_BEARER_GRANT, assertion };
    },
    schema: googleTokenSchema,
    refusedHint: CHECK_TOKEN,
    marginMs: TOKEN_MARGIN_MS,
  });

  /** Every page, each user tallied and held only if a recorded user can match them (`wanted`). */
  async function readAll(signal: AbortSignal, wanted: IndexWanted | null): Promise<KeptRead> {
    const out = new KeptCollector(wanted);
    const guard = createPagingGuard(LABEL, 'a nextPageToken', deps.clock);
    let pageToken: string | null = null;
    do {
      guard.next(pageToken ?? ''); // '' ends a listing, so it stands for the first page
      const { data: page }: { data: GoogleUserPage } = await http.getPage(
        usersListUrl(config, pageToken),
        credentials,
        PAGE_CHECK,
        signal,
      );
      for (const user of page.users ?? []) out.add(googleUserToIdentity(user));
      pageToken = page.nextPageToken ?? null;
    } while (pageToken !== null && pageToken !== '');
    return out.result();
  }

  return {
    name: 'google',
    kind: 'google',
    ...readWholeOrKept(readAll),
    stats: () => http.stats(),
    close: () => http.close(),
  };
}
