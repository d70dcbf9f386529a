/**
 * A fake Microsoft Entra ID tenant for tests and demos: the identity platform's client-credentials
 * token endpoint and Graph's `GET /v1.0/users` in the documented shapes (see test/fixtures/graph):
 * `$select` honoured, `$top` paging through `@odata.nextLink`, Bearer tokens checked, and
 * throttling as a 429 with Retry-After.
 */
import { randomUUID } from 'node:crypto';
import { type Reply, replyJson } from '../http-io.js';
import { echoedEveryWay, type FakeRequest, type FakeServer, startFakeServer } from './fake-server.js';

export interface GraphFakeUser {
  id: string;
  displayName: string;
  mail: string | null;
  otherMails?: string[];
  proxyAddresses?: string[];
  userPrincipalName: string;
  accountEnabled: boolean;
}

export interface GraphFakeOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  users?: GraphFakeUser[];
  /** Users per page when the request has no `$top` (Graph's default page for users is 100). */
  defaultPageSize?: number;
  /**
   * Echo mode (issue 20): 'token' refuses every token request with a 401 invalid_client whose
   * error_description echoes the form it was sent (`client_secret=…`) in every form
   * (echoedEveryWay); 'graph' issues tokens but refuses every Graph request with a 401 whose
   * message echoes the `Authorization: Bearer …` header the same way.
   */
  echoCredentials?: 'token' | 'graph';
}

export interface GraphFake {
  /** ENTRA_AUTHORITY_URL (stands for https://login.microsoftonline.com). */
  authorityUrl: string;
  /** ENTRA_GRAPH_URL (stands for https://graph.microsoft.com). */
  graphUrl: string;
  server: FakeServer;
  setUsers(users: GraphFakeUser[]): void;
  setEnabled(id: string, enabled: boolean): void;
  /** The next `count` Graph requests are throttled with this Retry-After (seconds). */
  throttle(count: number, retryAfterSeconds: number): void;
  /** Every Graph request answers this status until cleared with null (an outage). */
  failWith(status: number | null): void;
  /** Every access token issued so far (tests look for them where they must not be). */
  issuedTokens(): string[];
  /** Forgets issued tokens, as if they were revoked. */
  revokeTokens(): void;
  /** Every `@odata.nextLink` points back to the first page: a listing that never ends. */
  loopPaging(): void;
  close(): Promise<void>;
}

const graphError = (code: string, message: string) => ({
  error: {
    code,
    message,
    innerError: { requestId: randomUUID(), date: new Date().toISOString().slice(0, 19) },
  },
});

function tokenError(status: number, error: string, description: string): Reply {
  const traceId = randomUUID();
  return replyJson(status, {
    error,
    error_description: `${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString().slice(0, 19).replace('T', ' ')}Z`,
    error_codes: [status === 401 ? 7000215 : 70011],
    timestamp: `${new Date().toISOString().slice(0, 19).replace('T', ' ')}Z`,
    trace_id: traceId,
    correlation_id: randomUUID(),
  });
}

export async function startGraphFake(options: GraphFakeOptions): Promise<GraphFake> {
  let users = [...(options.users ?? [])];
  let failure: number | null = null;
  let throttled = { count: 0, retryAfter: 1 };
  const tokens = new Set<string>();
  const issued: string[] = [];
  let origin = '';

  const issueToken = (req: FakeRequest): Reply => {
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'client_credentials')
      return tokenError(
        400,
        'unsupported_grant_type',
        'AADSTS70003: The app requested an unsupported grant type.',
      );
    if (form.get('scope') !== 'https://graph.microsoft.com/.default')
      return tokenError(
        400,
        'invalid_scope',
        `AADSTS70011: The provided value for the input parameter 'scope' is not valid.`,
      );
    if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret)
      return tokenError(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    const token = `eyJ0eXAiOiJKV1Qi.${randomUUID()}`;
    tokens.add(token);
    issued.push(token);
    return replyJson(200, {
      token_type: 'Bearer',
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: token,
    });
  };

  let looping = false;
  const listUsers = (req: FakeRequest): Reply => {
    const select = (req.url.searchParams.get('$select') ?? 'id,displayName,mail,userPrincipalName').split(
      ',',
    );
    const top = Number(req.url.searchParams.get('$top') ?? options.defaultPageSize ?? 100);
    const pageSize = Math.min(999, Math.max(1, Number.isFinite(top) ? top : 100));
    const skip = Number(req.url.searchParams.get('$skiptoken') ?? 0) || 0;
    const sorted = [...users].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = sorted.slice(skip, skip + pageSize).map((u) => {
      const full: Record<string, unknown> = { otherMails: [], proxyAddresses: [], ...u };
      return Object.fromEntries(select.filter((f) => f in full).map((f) => [f, full[f]]));
    });
    const body: Record<string, unknown> = {
      '@odata.context': `${origin}/graph/v1.0/$metadata#users(${select.join(',')})`,
      value: page,
    };
    if (looping || skip + pageSize < sorted.length) {
      const next = new URL(req.url.pathname, origin);
      for (const [k, v] of req.url.searchParams) if (k !== '$skiptoken') next.searchParams.set(k, v);
      next.searchParams.set('$skiptoken', String(looping ? 0 : skip + pageSize));
      body['@odata.nextLink'] = next.toString();
    }
    return replyJson(200, body);
  };

  const handle = (req: FakeRequest): Reply => {
    const path = req.url.pathname;
    if (options.echoCredentials === 'token' && path.startsWith('/login/'))
      return tokenError(
        401,
        'invalid_client',
        `AADSTS7000215: Invalid client secret provided. ${echoedEveryWay(req.body)}`,
      );
    if (req.method === 'POST' && path === `/login/${options.tenantId}/oauth2/v2.0/token`)
      return issueToken(req);
    if (path.startsWith('/login/'))
      return tokenError(
        400,
        'invalid_request',
        `AADSTS90002: Tenant '${path.split('/')[2] ?? ''}' not found.`,
      );
    if (failure !== null) return replyJson(failure, graphError('serviceNotAvailable', 'Service unavailable'));
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7)))
      return replyJson(
        401,
        graphError('InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'),
      );
    if (options.echoCredentials === 'graph')
      return replyJson(
        401,
        graphError('InvalidAuthenticationToken', `Access token validation failure. ${echoedEveryWay(auth)}`),
      );
    if (throttled.count > 0) {
      throttled = { ...throttled, count: throttled.count - 1 };
      return replyJson(429, graphError('TooManyRequests', 'Too many requests'), {
        'retry-after': String(throttled.retryAfter),
      });
    }
    if (req.method === 'GET' && path === '/graph/v1.0/users') return listUsers(req);
    return replyJson(404, graphError('Request_ResourceNotFound', `Resource '${path}' does not exist.`));
  };

  const server = await startFakeServer(handle);
  origin = server.origin;
  return {
    authorityUrl: `${server.origin}/login`,
    graphUrl: `${server.origin}/graph`,
    server,
    setUsers(next) {
      users = [...next];
    },
    setEnabled(id, enabled) {
      users = users.map((u) => (u.id === id ? { ...u, accountEnabled: enabled } : u));
    },
    throttle(count, retryAfterSeconds) {
      throttled = { count, retryAfter: retryAfterSeconds };
    },
    failWith(status) {
      failure = status;
    },
    issuedTokens: () => [...issued],
    revokeTokens() {
      tokens.clear();
    },
    loopPaging() {
      looping = true;
    },
    close: () => server.close(),
  };
}
