/**
 * A fake Okta org for tests and demos: `GET /api/v1/users` in the recorded shape (see
 * test/fixtures/okta), with SSWS auth, `limit`/`after` paging through `Link: <…>; rel="next"`,
 * `filter=status eq "…"`, the plain list omitting DEPROVISIONED users as Okta does, and
 * X-Rate-Limit-* headers with E0000047 429s once a window's budget is spent.
 */
import { type Reply, replyJson } from '../http-io.js';
import { echoedEveryWay, type FakeRequest, type FakeServer, startFakeServer } from './fake-server.js';

export interface OktaFakePerson {
  id: string;
  status: string;
  email: string;
  secondEmail?: string | null;
  firstName: string;
  lastName: string;
  statusChanged?: string | null;
}

export interface OktaFakeOptions {
  token: string;
  people?: OktaFakePerson[];
  /** Requests allowed per rate-limit window (default 600, Okta's figure in the fixtures). */
  rateLimit?: number;
  rateWindowMs?: number;
  now?: () => number;
  /**
   * Echo mode: every request is refused with a 401 whose errorSummary and errorCauses echo the
   * request's Authorization header and URL in every form (echoedEveryWay), as a misbehaving proxy
   * or org did (issue 20), and whose errorCode carries the header too.
   */
  echoCredentials?: boolean;
}

export interface OktaFake {
  /** The org URL to configure as OKTA_ORG_URL. */
  url: string;
  server: FakeServer;
  setPeople(people: OktaFakePerson[]): void;
  setStatus(id: string, status: string, at?: string): void;
  /** Every request answers this status until cleared with null (an outage). */
  failWith(status: number | null): void;
  /**
   * A broken cursor (issue 20): every page's `Link: rel="next"` points to the page itself (the
   * first page's to the second), so a reader that follows it never reaches the end.
   */
  loopPaging(on: boolean): void;
  close(): Promise<void>;
}

const CREATED = '2020-08-27T18:16:00.000Z';

/** The user object exactly as the fixtures show it, with this person's values. */
function toOktaUser(p: OktaFakePerson, origin: string) {
  return {
    id: p.id,
    status: p.status,
    created: CREATED,
    activated: p.status === 'STAGED' ? null : CREATED,
    statusChanged: p.statusChanged ?? null,
    lastLogin: null,
    lastUpdated: p.statusChanged ?? CREATED,
    passwordChanged: CREATED,
    type: { id: 'otyc04qb2rUDcq2YA4x6' },
    profile: {
      firstName: p.firstName,
      lastName: p.lastName,
      mobilePhone: null,
      secondEmail: p.secondEmail ?? null,
      login: p.email,
      email: p.email,
    },
    credentials: {
      password: {},
      emails: [{ value: p.email, status: 'VERIFIED', type: 'PRIMARY' }],
      provider: { type: 'OKTA', name: 'OKTA' },
    },
    _links: { self: { href: `${origin}/api/v1/users/${p.id}` } },
  };
}

const oktaError = (code: string, summary: string) => ({
  errorCode: code,
  errorSummary: summary,
  errorLink: code,
  errorId: `oae${Math.random().toString(36).slice(2, 12)}`,
  errorCauses: [],
});

export async function startOktaFake(options: OktaFakeOptions): Promise<OktaFake> {
  let people = [...(options.people ?? [])];
  let failure: number | null = null;
  let looping = false;
  const now = options.now ?? Date.now;
  const limit = options.rateLimit ?? 600;
  const windowMs = options.rateWindowMs ?? 60_000;
  let window = { startMs: now(), used: 0 };
  let origin = '';

  const handle = (req: FakeRequest): Reply => {
    if (failure !== null) return replyJson(failure, oktaError('E0000009', 'Internal Server Error'));
    if (options.echoCredentials === true) {
      const echo = echoedEveryWay(`Authorization: ${req.headers.authorization ?? ''}`);
      return replyJson(401, {
        ...oktaError(`E0000011 ${req.headers.authorization ?? ''}`, `Invalid token provided (${echo})`),
        errorCauses: [{ errorSummary: echoedEveryWay(`${req.url.pathname}${req.url.search}`) }],
      });
    }
    if (req.headers.authorization !== `SSWS ${options.token}`)
      return replyJson(401, oktaError('E0000011', 'Invalid token provided'));
    if (now() - window.startMs >= windowMs) window = { startMs: now(), used: 0 };
    window.used += 1;
    const resetSeconds = Math.ceil((window.startMs + windowMs) / 1000);
    const rate = {
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(Math.max(0, limit - window.used)),
      'x-rate-limit-reset': String(resetSeconds),
    };
    if (window.used > limit)
      return replyJson(
        429,
        oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'),
        rate,
      );
    if (req.method !== 'GET' || req.url.pathname !== '/api/v1/users')
      return replyJson(404, oktaError('E0000007', 'Not found: Resource not found'));
    const pageSize = Math.min(200, Math.max(1, Number(req.url.searchParams.get('limit') ?? 200) || 200));
    const filter = req.url.searchParams.get('filter');
    let selected = people;
    if (filter !== null) {
      const m = /^status eq "([A-Z_]+)"$/.exec(filter.trim());
      if (!m) return replyJson(400, oktaError('E0000001', 'Api validation failed: filter'));
      selected = people.filter((p) => p.status === m[1]);
    } else {
      // The plain list omits DEPROVISIONED users (Okta's listUsers documentation).
      selected = people.filter((p) => p.status !== 'DEPROVISIONED');
    }
    selected = [...selected].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const after = req.url.searchParams.get('after');
    const start = after === null ? 0 : selected.findIndex((p) => `0${p.id}` === after) + 1;
    const page = selected.slice(start, start + pageSize);
    const headers: Record<string, string> = { ...rate };
    const last = page.at(-1);
    if (last !== undefined && start + pageSize < selected.length) {
      const next = new URL(`${origin}/api/v1/users`);
      next.searchParams.set('after', looping && after !== null ? after : `0${last.id}`);
      next.searchParams.set('limit', String(pageSize));
      if (filter !== null) next.searchParams.set('filter', filter);
      headers.link = `<${next.toString()}>; rel="next"`;
    }
    return replyJson(
      200,
      page.map((p) => toOktaUser(p, origin)),
      headers,
    );
  };

  const server = await startFakeServer(handle);
  origin = server.origin;
  return {
    url: server.origin,
    server,
    setPeople(next) {
      people = [...next];
    },
    setStatus(id, status, at = new Date(now()).toISOString()) {
      people = people.map((p) => (p.id === id ? { ...p, status, statusChanged: at } : p));
    },
    failWith(status) {
      failure = status;
    },
    loopPaging(on) {
      looping = on;
    },
    close: () => server.close(),
  };
}
