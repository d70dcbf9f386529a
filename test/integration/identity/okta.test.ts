/**
 * The Okta fake is checked against the recorded responses (contract), then the Okta adapter a user
 * runs is driven against the fake over real HTTP: paging, DEPROVISIONED users, rate limits, auth.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { IdentitySourceError } from '../../../src/errors.js';
import { createOktaSource } from '../../../src/identity/okta-source.js';
import { summariseRead } from '../../../src/roster/identity-findings.js';
import { wantedKeys } from '../../../src/roster/identity-match.js';
import {
  type OktaFake,
  type OktaFakePerson,
  startOktaFake,
} from '../../../src/simulator/identity/okta-fake.js';
import { aUser } from '../../helpers/builders.js';
import { createFakeClock } from '../../helpers/fake-clock.js';
import { matchSettings } from '../../helpers/identity-unit.js';
import { shapeDifferences } from '../../helpers/shape.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/okta', name), 'utf8')) as {
    headers: Record<string, string>;
    body: unknown;
  };

const TOKEN = '00secret-okta-token';
const people: OktaFakePerson[] = Array.from({ length: 7 }, (_, i) => ({
  id: `00u${String(i).padStart(3, '0')}abcdefghijklmn`,
  status: i === 5 ? 'DEPROVISIONED' : i === 6 ? 'SUSPENDED' : 'ACTIVE',
  email: `person${i}@example.com`,
  secondEmail: i === 1 ? 'p1.personal@example.org' : null,
  firstName: 'Person',
  lastName: String(i),
  statusChanged: i >= 5 ? '2026-03-01T08:00:00.000Z' : null,
}));

let fake: OktaFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const get = async (path: string, token = TOKEN) => {
  const res = await request(`${fake!.url}${path}`, { headers: { authorization: `SSWS ${token}` } });
  return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as unknown };
};
/** Retries wait on this clock: instant where a test is about the outcome, not the waiting. */
const instant: Clock = { now: () => Date.now(), sleep: async () => undefined };
const source = (pageLimit = 2, clock: Clock = systemClock) =>
  createOktaSource({ orgUrl: fake!.url, apiToken: TOKEN, pageLimit }, { clock, timeoutMs: 5_000 });

describe('the Okta fake matches the recorded responses', () => {
  it('a user list page, its Link and rate-limit headers', async () => {
    fake = await startOktaFake({ token: TOKEN, people });
    const page = await get('/api/v1/users?limit=1');
    const recorded = fixture('list-users-page-1.json');
    expect(shapeDifferences(recorded.body, page.body)).toEqual([]);
    expect(page.headers.link).toMatch(
      /^<http:\/\/127\.0\.0\.1:\d+\/api\/v1\/users\?after=0[^&>]+&limit=1>; rel="next"$/,
    );
    for (const h of ['x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset'])
      expect(page.headers[h]).toMatch(/^\d+$/);
    expect(
      shapeDifferences(
        fixture('list-users-filter-suspended.json').body,
        (await get(`/api/v1/users?filter=${encodeURIComponent('status eq "SUSPENDED"')}`)).body,
      ),
    ).toEqual([]);
  });

  it('a 429 and a 401 carry Okta error bodies', async () => {
    fake = await startOktaFake({ token: TOKEN, people, rateLimit: 1 });
    await get('/api/v1/users');
    const limited = await get('/api/v1/users');
    expect(limited.status).toBe(429);
    expect(shapeDifferences(fixture('rate-limited-429.json').body, limited.body)).toEqual([]);
    expect(limited.headers['x-rate-limit-remaining']).toBe('0');
    const denied = await get('/api/v1/users', 'wrong');
    expect(denied.status).toBe(401);
    expect(shapeDifferences(fixture('invalid-token-401.json').body, denied.body)).toEqual([]);
  });
});

describe('the Okta adapter', () => {
  it('reads every page, and DEPROVISIONED users through the filtered list', async () => {
    fake = await startOktaFake({ token: TOKEN, people });
    const identities = await source().read(new AbortController().signal);
    expect(identities.map((i) => i.id).sort()).toEqual(people.map((p) => p.id).sort());
    expect(identities.find((i) => i.status === 'DEPROVISIONED')).toMatchObject({
      active: false,
      statusChangedAt: '2026-03-01T08:00:00.000Z',
    });
    expect(identities.find((i) => i.emails.includes('p1.personal@example.org'))?.emails[0]).toBe(
      'person1@example.com',
    );
    // 4 pages of the plain list (6 users, 2 a page) and 1 of the DEPROVISIONED list.
    expect(fake.server.requests.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('keeps only the users a recorded user can match, page by page, and summarises every user (issue 21)', async () => {
    fake = await startOktaFake({ token: TOKEN, people });
    const signal = new AbortController().signal;
    const users = [
      aUser('p0', { email: 'Person0@example.com' }),
      aUser('p5', { email: 'person5@example.com' }),
    ];
    const kept = await source().readKept?.(signal, wantedKeys(users, matchSettings()));
    const whole = await source().read(signal);
    expect(kept?.identities).toEqual(
      whole.filter((i) => ['person0@example.com', 'person5@example.com'].includes(i.emails[0] ?? '')),
    );
    expect(kept?.identities.map((i) => i.status)).toEqual(['ACTIVE', 'DEPROVISIONED']);
    expect(kept?.summary).toEqual(summariseRead(whole));
    // The same requests as the whole read: both lists, every page.
    expect(fake.server.requests).toHaveLength(8);
  });

  // The fake's rate window and the adapter's waits share one fake clock: the adapter's wait is
  // what it decided from the headers, and no test waits out a real window.
  it('waits for the rate-limit window to reset instead of failing', async () => {
    const clock = createFakeClock();
    const startMs = clock.now();
    fake = await startOktaFake({ token: TOKEN, people, rateLimit: 2, rateWindowMs: 1_000, now: clock.now });
    const s = source(2, clock);
    const identities = await clock.runUntilSettled(s.read(new AbortController().signal));
    expect(identities).toHaveLength(7);
    // 3 pages of the plain list and 1 of the DEPROVISIONED list, 2 requests a window: one wait, to
    // the window's reset (1 s) plus the adapter's half-second margin, and no request spent on a 429.
    expect(s.stats().requests).toBe(4);
    expect(fake.server.requests.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(clock.now() - startMs).toBe(1_500);
  });

  it('retries a 429 after X-Rate-Limit-Reset', async () => {
    const clock = createFakeClock();
    fake = await startOktaFake({ token: TOKEN, people, rateLimit: 1, rateWindowMs: 1_000, now: clock.now });
    // Spend the window so the adapter's first call is answered 429.
    await get('/api/v1/users');
    const s = source(200, clock);
    expect(await clock.runUntilSettled(s.read(new AbortController().signal))).toHaveLength(7);
    // One request a window: each of the two lists (plain, DEPROVISIONED) meets a spent window once.
    expect(s.stats().rateLimited).toBe(2);
    expect(fake.server.requests.map((r) => r.status)).toEqual([200, 429, 200, 429, 200]);
  });

  it('a wrong token is an auth error that names the variable and not the token', async () => {
    fake = await startOktaFake({ token: 'another-token', people });
    const error = await source()
      .read(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentitySourceError);
    expect((error as IdentitySourceError).code).toBe('auth');
    expect((error as Error).message).toMatch(/401 E0000011: check OKTA_API_TOKEN/);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('fails a list whose next page points to itself instead of paging forever (issue 20)', async () => {
    fake = await startOktaFake({ token: TOKEN, people });
    fake.loopPaging(true);
    await expect(source(2, instant).read(new AbortController().signal)).rejects.toThrow(
      /Okta: the next page points to a page already read \(after 2 pages\)/,
    );
    expect(fake.server.requests).toHaveLength(2);
  });

  it('fails a list still paging after its time budget (issue 20)', async () => {
    fake = await startOktaFake({ token: TOKEN, people });
    // Every reading of the clock is 11 minutes later: the 30-minute budget is spent by page 3.
    let t = Date.parse('2026-03-01T00:00:00Z');
    const slow: Clock = { now: () => (t += 660_000), sleep: async () => undefined };
    await expect(source(2, slow).read(new AbortController().signal)).rejects.toThrow(
      /Okta: still paging after 30 minutes \(after 2 pages\)/,
    );
  });

  it('reads a 150,000-user page (a server ignoring `limit`) without overflowing the stack (issue 20)', async () => {
    // The recorded user (list-users-example.json) with the fields the adapter reads, 150,000 times.
    const { createServer } = await import('node:http');
    const count = 150_000;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        `[${Array.from({ length: count }, (_, i) =>
          JSON.stringify({
            id: `00u${i}`,
            status: 'ACTIVE',
            statusChanged: null,
            profile: { login: `p${i}@example.com` },
          }),
        ).join(',')}]`,
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const big = createOktaSource(
        { orgUrl: `http://127.0.0.1:${port}`, apiToken: TOKEN, pageLimit: 200 },
        { clock: instant, timeoutMs: 30_000 },
      );
      // Both lists (plain and DEPROVISIONED) answer the same page; the ids are the same people.
      expect(await big.read(new AbortController().signal)).toHaveLength(count);
      await big.close();
    } finally {
      server.close();
    }
  });

  it('an outage fails the read rather than returning part of it', async () => {
    fake = await startOktaFake({ token: TOKEN, people });
    fake.failWith(500);
    await expect(source(2, instant).read(new AbortController().signal)).rejects.toThrow(
      /Okta: 500 E0000009 after 5 retries/,
    );
    await fake.close();
    await expect(source().read(new AbortController().signal)).rejects.toThrow(
      /Okta: cannot connect \(ECONNREFUSED\)/,
    );
  });
});
