/**
 * The token-and-retry helper the Okta, Entra and Google adapters share, driven against a scripted
 * server over real HTTP: what it retries, what it waits, when it renews a token and how it fails.
 * The adapters' own tests (okta, graph, google) cover it through each provider's fake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Clock } from '../../../src/clock.js';
import { IdentitySourceError } from '../../../src/errors.js';
import {
  bearerToken,
  createProviderHttp,
  type PageCheck,
  type ProviderHttp,
} from '../../../src/identity/provider-http.js';
import { statusAndCode } from '../../../src/identity/source.js';
import { replyJson } from '../../../src/simulator/http-io.js';
import { type FakeServer, startFakeServer } from '../../../src/simulator/identity/fake-server.js';
import { createFakeClock } from '../../helpers/fake-clock.js';

/** What the server answers, in order, per path ('/token', '/page'); the last answer repeats. */
type Script = Record<string, { status: number; body: unknown; headers?: Record<string, string> }[]>;

let server: FakeServer | undefined;
let http: ProviderHttp | undefined;
afterEach(async () => {
  await http?.close();
  await server?.close();
  http = server = undefined;
});

async function serve(script: Script): Promise<string> {
  const answered: Record<string, number> = {};
  server = await startFakeServer((req) => {
    const replies = script[req.url.pathname] ?? [{ status: 404, body: { error: 'not_found' } }];
    const at = Math.min(answered[req.url.pathname] ?? 0, replies.length - 1);
    answered[req.url.pathname] = at + 1;
    const reply = replies[at]!;
    return replyJson(reply.status, reply.body, reply.headers ?? {});
  });
  return server.origin;
}

const paths = () => server!.requests.map((r) => `${r.path} ${r.status}`);
const ok = (token: string, expiresIn = 3600) => ({
  status: 200,
  body: { access_token: token, expires_in: expiresIn, token_type: 'Bearer' },
});
const users = { status: 200, body: { users: ['a', 'b'] } };
const failing = (status: number, code: string) => ({ status, body: { error: code } });

const check: PageCheck<{ users: string[] }> = {
  schema: z.object({ users: z.array(z.string()) }),
  what: 'user page',
  request: 'GET /page',
  denied: (failure) => `${failure}: check THE_SECRET_VARIABLE`,
};

function client(clock: Clock) {
  http = createProviderHttp(
    {
      label: 'Provider',
      maxWaitMs: 120_000,
      describeFailure: (res) => statusAndCode(res.status, (res.body as { error?: unknown } | null)?.error),
    },
    ['the-configured-secret'],
    { clock, timeoutMs: 5_000 },
  );
  return http;
}

function bearer(h: ProviderHttp, clock: Clock, origin: string) {
  return bearerToken(h, clock, {
    url: `${origin}/token`,
    label: 'Provider token',
    form: () => ({ grant_type: 'client_credentials', client_secret: 'sec.ret-value' }),
    schema: z.looseObject({ access_token: z.string(), expires_in: z.number() }),
    refusedHint: 'check THE_CLIENT_SECRET',
    marginMs: 60_000,
  });
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => new Error('no failure'),
    (e: unknown) => e as Error,
  );

describe('the identity providers’ token and retry helper', () => {
  it('waits out a token endpoint that is throttled or down, then keeps the token until a minute before it expires', async () => {
    const clock = createFakeClock();
    const origin = await serve({
      '/token': [
        { status: 503, body: { error: 'temporarily_unavailable' }, headers: { 'retry-after': '3' } },
        ok('token-one', 120),
        ok('token-two'),
      ],
      '/page': [users],
    });
    const h = client(clock);
    const credentials = bearer(h, clock, origin);
    const start = clock.now();
    const signal = new AbortController().signal;
    expect(
      (await clock.runUntilSettled(h.getPage(`${origin}/page`, credentials, check, signal))).data,
    ).toEqual(users.body);
    expect(clock.now() - start).toBe(3_000);
    await h.getPage(`${origin}/page`, credentials, check, signal);
    // 120 s minus the minute's margin: still good at 59 s, renewed at 60 s.
    await clock.advance(59_000);
    expect(await credentials.authorization(signal)).toBe('Bearer token-one');
    await clock.advance(1_000);
    expect(await credentials.authorization(signal)).toBe('Bearer token-two');
    expect(paths()).toEqual(['/token 503', '/token 200', '/page 200', '/page 200', '/token 200']);
    expect(h.stats()).toEqual({ requests: 5, retries: 1, rateLimited: 0 });
  });

  it.each([400, 401, 403])(
    'a token endpoint refusing with %i is an auth failure, not retried',
    async (status) => {
      const origin = await serve({ '/token': [failing(status, 'invalid_client')] });
      const h = client(createFakeClock());
      const error = await failure(
        bearer(h, createFakeClock(), origin).authorization(new AbortController().signal),
      );
      expect(error).toBeInstanceOf(IdentitySourceError);
      expect(error).toMatchObject({ code: 'auth', retryable: false });
      expect(error.message).toBe(`Provider token: ${status} invalid_client: check THE_CLIENT_SECRET`);
      expect(paths()).toEqual([`/token ${status}`]);
    },
  );

  it('retries every 5xx, then fails as unreachable; a 429 fails as rate-limited', async () => {
    const instant: Clock = { now: () => Date.now(), sleep: async () => undefined };
    const origin = await serve({
      '/page': [failing(500, 'internal')],
      '/limited': [failing(429, 'slow_down')],
    });
    const h = client(instant);
    const sswsLike = { authorization: async () => 'SSWS not-renewable' };
    const down = await failure(h.getPage(`${origin}/page`, sswsLike, check, new AbortController().signal));
    expect(down).toMatchObject({ code: 'unreachable', retryable: true });
    expect(down.message).toBe('Provider: 500 internal after 5 retries');
    const limited = await failure(
      h.getPage(`${origin}/limited`, sswsLike, check, new AbortController().signal),
    );
    expect(limited).toMatchObject({ code: 'rate-limited', retryable: true });
    expect(h.stats()).toEqual({ requests: 12, retries: 10, rateLimited: 5 });
  });

  it('renews a refused bearer token once, then fails naming what to check', async () => {
    const clock = createFakeClock();
    const origin = await serve({
      '/token': [ok('token-one'), ok('token-two')],
      '/page': [failing(401, 'expired'), users],
      '/denied': [failing(401, 'denied')],
    });
    const h = client(clock);
    const credentials = bearer(h, clock, origin);
    const signal = new AbortController().signal;
    expect((await h.getPage(`${origin}/page`, credentials, check, signal)).data).toEqual(users.body);
    expect(paths()).toEqual(['/token 200', '/page 401', '/token 200', '/page 200']);
    const error = await failure(h.getPage(`${origin}/denied`, credentials, check, signal));
    expect(error).toMatchObject({ code: 'auth', retryable: false });
    expect(error.message).toBe('Provider: 401 denied: check THE_SECRET_VARIABLE');
    expect(paths().slice(4)).toEqual(['/denied 401', '/token 200', '/denied 401']);
  });

  it('gives a page five retries in all, across a token renewal, not five on each side of it', async () => {
    const instant: Clock = { now: () => Date.now(), sleep: async () => undefined };
    const busy = failing(503, 'busy');
    const origin = await serve({
      '/token': [ok('token-one'), ok('token-two')],
      '/page': [busy, busy, busy, failing(401, 'expired'), busy, busy, busy, busy, users],
    });
    const h = client(instant);
    const error = await failure(
      h.getPage(`${origin}/page`, bearer(h, instant, origin), check, new AbortController().signal),
    );
    expect(error.message).toBe('Provider: 503 busy after 5 retries');
    // 3 retries before the renewal, 2 after it: the sixth 503 ends the page.
    expect(paths().filter((p) => p.startsWith('/page'))).toHaveLength(7);
  });

  it('asks for the token again at every retry, so one that expires during the waits is renewed first', async () => {
    const clock = createFakeClock();
    const origin = await serve({
      // Good for one second after the minute's margin; the page's Retry-After is two.
      '/token': [ok('token-one', 61), ok('token-two')],
      '/page': [{ status: 503, body: { error: 'busy' }, headers: { 'retry-after': '2' } }, users],
    });
    const h = client(clock);
    const credentials = bearer(h, clock, origin);
    const page = h.getPage(`${origin}/page`, credentials, check, new AbortController().signal);
    expect((await clock.runUntilSettled(page)).data).toEqual(users.body);
    expect(paths()).toEqual(['/token 200', '/page 503', '/token 200', '/page 200']);
  });

  it('does not ask again with credentials that cannot be renewed (an SSWS token)', async () => {
    const origin = await serve({ '/page': [failing(401, 'E0000011'), users] });
    const h = client(createFakeClock());
    const error = await failure(
      h.getPage(
        `${origin}/page`,
        { authorization: async () => 'SSWS x' },
        check,
        new AbortController().signal,
      ),
    );
    expect(error.message).toBe('Provider: 401 E0000011: check THE_SECRET_VARIABLE');
    expect(paths()).toEqual(['/page 401']);
  });

  it('names a request that fails otherwise, and a page of the wrong shape, without quoting it', async () => {
    const origin = await serve({
      '/missing': [failing(404, 'not_found')],
      '/odd': [{ status: 200, body: 'secret' }],
    });
    const h = client(createFakeClock());
    const signal = new AbortController().signal;
    const none = { authorization: async () => 'SSWS x' };
    expect((await failure(h.getPage(`${origin}/missing`, none, check, signal))).message).toBe(
      'Provider: 404 not_found for GET /page',
    );
    const odd = await failure(h.getPage(`${origin}/odd`, none, check, signal));
    expect(odd).toMatchObject({ code: 'bad-response', retryable: false });
    expect(odd.message).toEqual(expect.stringMatching(/^Provider: unexpected user page \(body: /));
  });
});
