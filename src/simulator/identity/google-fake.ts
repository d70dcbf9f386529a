/**
 * A fake Google Workspace for tests and demos: Google's OAuth 2.0 token endpoint for a service
 * account's JWT (signature checked against the key's public half, claims checked as Google does)
 * and the Admin SDK's `GET /admin/directory/v1/users` in the shapes of test/fixtures/google:
 * `customer` or `domain`, `maxResults` (1..500, default 100), `pageToken`, Bearer tokens checked,
 * errors in Google's `{"error": {"code", "message", "status"}}` form.
 */
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { type Reply, replyJson } from '../http-io.js';
import { echoedEveryWay, type FakeRequest, type FakeServer, startFakeServer } from './fake-server.js';

export interface GoogleFakeUser {
  id: string;
  primaryEmail: string;
  givenName: string;
  familyName: string;
  aliases?: string[];
  suspended?: boolean;
  archived?: boolean;
}

export interface GoogleFakeOptions {
  /** The service account's `client_email` and the PEM whose public half checks its JWTs. */
  clientEmail: string;
  privateKey: string;
  /** The admin the delegation allows the service account to act as (the JWT's `sub`). */
  admin: string;
  /** The customer's primary domain (`domain=` answers only for it). */
  domain: string;
  users?: GoogleFakeUser[];
  /**
   * Echo mode: 'token' refuses every token request with a 400 invalid_grant whose
   * error_description echoes the form it was sent (the signed assertion) in every form; 'directory'
   * issues tokens but refuses every users.list with a 401 whose message echoes the Authorization
   * header the same way.
   */
  echoCredentials?: 'token' | 'directory';
  /** The clock that judges a JWT's `exp` (a test's fake clock); Date.now by default. */
  now?: () => number;
}

export interface GoogleFake {
  /** The `token_uri` to put in the key file (stands for https://oauth2.googleapis.com/token). */
  tokenUri: string;
  /** GOOGLE_WORKSPACE_DIRECTORY_URL (stands for https://admin.googleapis.com). */
  directoryUrl: string;
  server: FakeServer;
  setUsers(users: GoogleFakeUser[]): void;
  setSuspended(id: string, suspended: boolean): void;
  /** The next `count` directory requests answer 429 with this Retry-After (seconds). */
  throttle(count: number, retryAfterSeconds: number): void;
  /**
   * The next `count` token requests answer `status` with a plain-text body (a load balancer's
   * answer: no Google error shape is assumed for it), and `retryAfter` when given (seconds, or '').
   */
  tokenOutage(count: number, status: number, retryAfter?: string): void;
  /**
   * Every directory request answers this status until cleared with null: Google's JSON error, or
   * with `html` a proxy's HTML page (status 200 too: a captive portal); with `afterRequests`, only
   * once that many more directory requests have been answered (a read that breaks half-way).
   */
  failWith(failure: { status: number; html?: boolean } | null, afterRequests?: number): void;
  issuedTokens(): string[];
  /** Every assertion (signed JWT) the token endpoint received, refused or not. */
  receivedAssertions(): string[];
  revokeTokens(): void;
  /** Every `nextPageToken` leads back to the second page: a listing that never ends. */
  loopPaging(): void;
  close(): Promise<void>;
}

const SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const apiError = (code: number, message: string, headers?: Record<string, string>): Reply =>
  replyJson(code, { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN' } }, headers);

const tokenError = (status: number, error: string, description: string): Reply =>
  replyJson(status, { error, error_description: description });

/** The JWT's claims if its RS256 signature is the key's, else null. */
function verifiedClaims(assertion: string, publicKey: ReturnType<typeof createPublicKey>) {
  const [head, body, signature] = assertion.split('.');
  if (head === undefined || body === undefined || signature === undefined) return null;
  const ok = verify(
    'RSA-SHA256',
    Buffer.from(`${head}.${body}`),
    publicKey,
    Buffer.from(signature, 'base64url'),
  );
  if (!ok) return null;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function toGoogleUser(u: GoogleFakeUser, domain: string) {
  return {
    kind: 'admin#directory#user',
    id: u.id,
    etag: `"${u.id}-etag"`,
    primaryEmail: u.primaryEmail,
    name: { givenName: u.givenName, familyName: u.familyName, fullName: `${u.givenName} ${u.familyName}` },
    isAdmin: false,
    isDelegatedAdmin: false,
    lastLoginTime: '1970-01-01T00:00:00.000Z',
    creationTime: '2020-08-27T18:16:00.000Z',
    agreedToTerms: true,
    suspended: u.suspended === true,
    ...(u.suspended === true ? { suspensionReason: 'ADMIN' } : {}),
    archived: u.archived === true,
    changePasswordAtNextLogin: false,
    ipWhitelisted: false,
    aliases: u.aliases ?? [],
    nonEditableAliases: [`${u.primaryEmail.split('@')[0]}@${domain}.test-google-a.com`],
    customerId: 'C03az79cb',
    orgUnitPath: '/',
    isMailboxSetup: true,
    isEnrolledIn2Sv: false,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
  };
}

export async function startGoogleFake(options: GoogleFakeOptions): Promise<GoogleFake> {
  const publicKey = createPublicKey(options.privateKey);
  let users = [...(options.users ?? [])];
  let looping = false;
  let failure: { status: number; html?: boolean } | null = null;
  let answeredBeforeFailure = 0;
  let throttled = { count: 0, retryAfter: 1 };
  let tokenDown: { count: number; status: number; retryAfter?: string } = { count: 0, status: 503 };
  const tokens = new Set<string>();
  const issued: string[] = [];
  const assertions: string[] = [];
  let origin = '';

  const issueToken = (req: FakeRequest, nowS: number): Reply => {
    const form = new URLSearchParams(req.body);
    assertions.push(form.get('assertion') ?? '');
    if (options.echoCredentials === 'token')
      return tokenError(400, 'invalid_grant', `Invalid JWT: ${echoedEveryWay(req.body)}`);
    if (form.get('grant_type') !== GRANT)
      return tokenError(400, 'unsupported_grant_type', 'Invalid grant_type: ');
    const claims = verifiedClaims(form.get('assertion') ?? '', publicKey);
    if (claims === null || claims.iss !== options.clientEmail)
      return tokenError(400, 'invalid_grant', 'Invalid JWT Signature.');
    if (claims.aud !== `${origin}/token`)
      return tokenError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token');
    const { iat, exp } = claims as { iat?: number; exp?: number };
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp - iat > 3600 || exp < nowS)
      return tokenError(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes)');
    if (claims.sub !== options.admin) return tokenError(400, 'invalid_grant', 'Invalid email or User ID');
    if (claims.scope !== SCOPE)
      return tokenError(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    const token = `ya29.${randomUUID()}`;
    tokens.add(token);
    issued.push(token);
    return replyJson(200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  };

  const listUsers = (req: FakeRequest): Reply => {
    const params = req.url.searchParams;
    const customer = params.get('customer');
    const domain = params.get('domain');
    if (customer === null && domain === null) return apiError(400, 'Bad Request');
    if (domain !== null && domain !== options.domain)
      return apiError(403, 'Not Authorized to access this resource/api');
    const max = Number(params.get('maxResults') ?? 100);
    if (!Number.isInteger(max) || max < 1 || max > 500) return apiError(400, 'Invalid value for: maxResults');
    const start = Number(
      params.get('pageToken') === null
        ? 0
        : Buffer.from(params.get('pageToken') ?? '', 'base64url').toString(),
    );
    if (!Number.isInteger(start) || start < 0) return apiError(400, 'Invalid Input: pageToken');
    const sorted = [...users].sort((a, b) => a.primaryEmail.localeCompare(b.primaryEmail));
    const page = sorted.slice(start, start + max);
    const body: Record<string, unknown> = {
      kind: 'admin#directory#users',
      etag: `"${randomUUID()}"`,
    };
    if (page.length > 0) body.users = page.map((u) => toGoogleUser(u, options.domain));
    if (start + max < sorted.length || looping)
      body.nextPageToken = Buffer.from(String(looping ? max : start + max)).toString('base64url');
    return replyJson(200, body);
  };

  const handle = (req: FakeRequest): Reply => {
    const path = req.url.pathname;
    if (req.method === 'POST' && path === '/token' && tokenDown.count > 0) {
      tokenDown = { ...tokenDown, count: tokenDown.count - 1 };
      return {
        status: tokenDown.status,
        headers: {
          'content-type': 'text/plain',
          ...(tokenDown.retryAfter === undefined ? {} : { 'retry-after': tokenDown.retryAfter }),
        },
        body: 'Service Unavailable',
      };
    }
    if (req.method === 'POST' && path === '/token')
      return issueToken(req, Math.floor((options.now ?? Date.now)() / 1000));
    if (failure !== null && answeredBeforeFailure > 0) answeredBeforeFailure -= 1;
    else if (failure !== null)
      return failure.html === true
        ? {
            status: failure.status,
            headers: { 'content-type': 'text/html; charset=UTF-8' },
            body: `<!DOCTYPE html><html><head><title>Error ${failure.status}</title></head><body>Proxy error</body></html>`,
          }
        : apiError(failure.status, 'The service is currently unavailable.');
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7)))
      return apiError(401, 'Request had invalid authentication credentials.');
    if (options.echoCredentials === 'directory')
      return apiError(401, `Request had invalid authentication credentials. ${echoedEveryWay(auth)}`);
    if (throttled.count > 0) {
      throttled = { ...throttled, count: throttled.count - 1 };
      return apiError(429, 'Quota exceeded', { 'retry-after': String(throttled.retryAfter) });
    }
    if (req.method === 'GET' && path === '/admin/directory/v1/users') return listUsers(req);
    return apiError(404, 'Not Found');
  };

  const server = await startFakeServer(handle);
  origin = server.origin;
  return {
    tokenUri: `${server.origin}/token`,
    directoryUrl: server.origin,
    server,
    setUsers(next) {
      users = [...next];
    },
    setSuspended(id, suspended) {
      users = users.map((u) => (u.id === id ? { ...u, suspended } : u));
    },
    throttle(count, retryAfterSeconds) {
      throttled = { count, retryAfter: retryAfterSeconds };
    },
    tokenOutage(count, status, retryAfter) {
      tokenDown = { count, status, ...(retryAfter === undefined ? {} : { retryAfter }) };
    },
    failWith(next, afterRequests = 0) {
      failure = next;
      answeredBeforeFailure = afterRequests;
    },
    issuedTokens: () => [...issued],
    receivedAssertions: () => [...assertions],
    revokeTokens() {
      tokens.clear();
    },
    loopPaging() {
      looping = true;
    },
    close: () => server.close(),
  };
}
