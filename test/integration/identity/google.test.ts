/**
 * The Google Workspace fake is checked against Google's shapes (contract), then the adapter a user
 * runs is driven against it over real HTTP: JWT exchange, paging, suspended and archived users,
 * throttling, a refused token, an HTML page where JSON was due, and no secret in any message.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import type { GoogleSourceConfig } from '../../../src/config/identity-google.js';
import { IdentitySourceError } from '../../../src/errors.js';
import { createGoogleSource, signAssertion } from '../../../src/identity/google-source.js';
import { scrubText } from '../../../src/redact.js';
import { summariseRead } from '../../../src/roster/identity-findings.js';
import { wantedKeys } from '../../../src/roster/identity-match.js';
import {
  type GoogleFake,
  type GoogleFakeUser,
  startGoogleFake,
} from '../../../src/simulator/identity/google-fake.js';
import { aUser } from '../../helpers/builders.js';
import { createFakeClock } from '../../helpers/fake-clock.js';
import { googleKey, googleSettings } from '../../helpers/google-key.js';
import { matchSettings } from '../../helpers/identity-unit.js';
import { shapeDifferences } from '../../helpers/shape.js';

const fixture = (name: string) =>
  (
    JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/google', name), 'utf8')) as {
      body: unknown;
    }
  ).body;

const key = googleKey();
const ADMIN = googleSettings().admin;
const users: GoogleFakeUser[] = Array.from({ length: 7 }, (_, i) => ({
  id: `10000000000000000000${i}`,
  primaryEmail: `person${i}@example.com`,
  givenName: 'Person',
  familyName: String(i),
  aliases: i === 2 ? ['p2@example.com'] : [],
  suspended: i === 3,
  archived: i === 4,
}));

let fake: GoogleFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const start = (options: Partial<Parameters<typeof startGoogleFake>[0]> = {}) =>
  startGoogleFake({
    clientEmail: key.client_email,
    privateKey: key.private_key,
    admin: ADMIN,
    domain: 'example.com',
    users,
    ...options,
  });

const settings = (changes: Partial<GoogleSourceConfig> = {}): GoogleSourceConfig =>
  googleSettings({ tokenUri: fake!.tokenUri, directoryUrl: fake!.directoryUrl, ...changes });
const instant: Clock = { now: () => Date.now(), sleep: async () => undefined };
const source = (changes: Partial<GoogleSourceConfig> = {}, clock: Clock = systemClock) =>
  createGoogleSource(settings(changes), { clock, timeoutMs: 5_000 });
const failure = (s: ReturnType<typeof source>) =>
  s.read(new AbortController().signal).then(
    () => new Error('the read succeeded'),
    (e: unknown) => e as Error,
  );

async function token(assertion: string) {
  const res = await request(fake!.tokenUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion,
    }).toString(),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

describe('the Google fake matches Google’s shapes', () => {
  it('token success and error bodies', async () => {
    fake = await start();
    const ok = await token(signAssertion(settings(), Date.now()));
    expect(ok.status).toBe(200);
    expect(
      shapeDifferences(fixture('token-response.json'), ok.body).filter((d) => !d.includes('.scope')),
    ).toEqual([]);
    const bad = await token(signAssertion(settings({ admin: 'someone@example.com' }), Date.now()));
    expect(bad.status).toBe(400);
    expect(shapeDifferences(fixture('token-error.json'), bad.body)).toEqual([]);
  });

  it('a users.list page, its next page token, and the error body', async () => {
    fake = await start();
    const access = (await token(signAssertion(settings(), Date.now()))).body.access_token as string;
    const res = await request(
      `${fake.directoryUrl}/admin/directory/v1/users?customer=my_customer&maxResults=2`,
      {
        headers: { authorization: `Bearer ${access}` },
      },
    );
    const page = (await res.body.json()) as { users: Record<string, unknown>[] };
    // Every field the adapter reads, and the page's own fields, as the generated example has them.
    const documented = fixture('list-users.json') as { users: Record<string, unknown>[] };
    const read = ['id', 'primaryEmail', 'suspended', 'archived', 'aliases', 'nonEditableAliases', 'name'];
    const user = Object.fromEntries(Object.entries(documented.users[0]!).filter(([k]) => read.includes(k)));
    expect(Object.keys(user).sort()).toEqual([...read].sort());
    expect(
      shapeDifferences({ ...documented, users: [user] }, page).filter((d) => !d.includes('trigger_event')),
    ).toEqual([]);
    expect(shapeDifferences(fixture('user-name.json'), page.users[0]!.name)).toEqual([]);
    const denied = await request(`${fake.directoryUrl}/admin/directory/v1/users?customer=my_customer`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(denied.statusCode).toBe(401);
    expect(
      shapeDifferences(fixture('api-error.json'), await denied.body.json()).filter(
        (d) => !d.includes('details'),
      ),
    ).toEqual([]);
  });
});

describe('the Google Workspace adapter', () => {
  it('reads every page with one token; suspended and archived users are leavers', async () => {
    fake = await start();
    const identities = await source({ pageSize: 2 }).read(new AbortController().signal);
    expect(identities.map((i) => [i.emails[0], i.status, i.active])).toEqual(
      users.map((u, i) => [
        u.primaryEmail,
        i === 3 ? 'suspended' : i === 4 ? 'archived' : 'active',
        i !== 3 && i !== 4,
      ]),
    );
    expect(identities[2]).toMatchObject({
      id: '100000000000000000002',
      displayName: 'Person 2',
      emails: ['person2@example.com', 'p2@example.com', 'person2@example.com.test-google-a.com'],
    });
    const paths = fake.server.requests.map((r) => r.path);
    expect(paths.filter((p) => p === '/token')).toHaveLength(1);
    expect(paths.filter((p) => p.startsWith('/admin/directory/v1/users'))).toHaveLength(4);
  });

  it('keeps only the users a recorded user can match, page by page, and summarises every user (issue 21)', async () => {
    fake = await start();
    const signal = new AbortController().signal;
    // person2 by an alias, person3 (suspended) by its primary address.
    const wanted = wantedKeys(
      [aUser('a', { email: 'P2@example.com' }), aUser('b', { email: 'person3@example.com' })],
      matchSettings(),
    );
    const kept = await source({ pageSize: 2 }).readKept?.(signal, wanted);
    const whole = await source({ pageSize: 2 }).read(signal);
    expect(kept?.identities).toEqual(whole.filter((i) => i.id.endsWith('2') || i.id.endsWith('3')));
    expect(kept?.identities).toHaveLength(2);
    expect(kept?.summary).toEqual(summariseRead(whole));
  });

  it('asks for the configured domain only', async () => {
    fake = await start();
    expect(
      await source({ customer: null, domain: 'example.com' }).read(new AbortController().signal),
    ).toHaveLength(7);
    const error = await failure(source({ customer: null, domain: 'other.example' }));
    expect(error.message).toMatch(
      /^Google Workspace: 403 PERMISSION_DENIED for GET \/admin\/directory\/v1\/users: GOOGLE_WORKSPACE_ADMIN must be/,
    );
  });

  it('waits for Retry-After when throttled, and renews a revoked token once', async () => {
    const clock = createFakeClock(Date.now());
    fake = await start({ now: () => clock.now() });
    fake.throttle(2, 3);
    const startMs = clock.now();
    const s = source({}, clock);
    expect(await clock.runUntilSettled(s.read(new AbortController().signal))).toHaveLength(7);
    expect(s.stats().rateLimited).toBe(2);
    expect(clock.now() - startMs).toBe(2 * 3_000);
    fake.revokeTokens();
    expect(await clock.runUntilSettled(s.read(new AbortController().signal))).toHaveLength(7);
    expect(fake.server.requests.filter((r) => r.path === '/token')).toHaveLength(2);
  });

  it('waits out a token endpoint that is briefly down, backing off when its Retry-After is empty', async () => {
    const clock = createFakeClock(Date.now());
    fake = await start({ now: () => clock.now() });
    fake.tokenOutage(2, 503, '');
    const startMs = clock.now();
    const s = source({}, clock);
    expect(await clock.runUntilSettled(s.read(new AbortController().signal))).toHaveLength(7);
    expect(fake.server.requests.filter((r) => r.path === '/token')).toHaveLength(3);
    // an empty Retry-After is no Retry-After: 1 s, then 2 s, not two immediate retries
    expect(clock.now() - startMs).toBe(3_000);
    fake.revokeTokens();
    fake.tokenOutage(6, 429);
    const error = await clock.runUntilSettled(failure(source({}, clock)));
    expect(error).toMatchObject({ code: 'rate-limited', retryable: true });
    expect(error.message).toBe('Google Workspace token: HTTP 429 after 5 retries');
  });

  it('a refused token is an auth error naming what to check', async () => {
    fake = await start({ admin: 'the-real-admin@example.com' });
    const error = await failure(source());
    expect(error.message).toBe(
      'Google Workspace token: 400 invalid_grant: check GOOGLE_WORKSPACE_CREDENTIALS_FILE, GOOGLE_WORKSPACE_ADMIN and the domain-wide delegation of the service account',
    );
    expect(fake.server.requests.filter((r) => r.path.startsWith('/admin/'))).toEqual([]);
  });

  it('a nextPageToken that leads back to a page already read fails the read instead of paging forever', async () => {
    fake = await start();
    fake.loopPaging();
    const error = await failure(source({ pageSize: 2 }, instant));
    expect(error).toBeInstanceOf(IdentitySourceError);
    expect(error.message).toBe(
      'Google Workspace: a nextPageToken points to a page already read (after 2 pages): the user list never ends, so it is not trusted',
    );
    expect(fake.server.requests.filter((r) => r.path.startsWith('/admin/'))).toHaveLength(2);
  });

  it('an outage fails the whole read, even after pages were read', async () => {
    fake = await start();
    const s = source({ pageSize: 2 }, instant);
    fake.failWith({ status: 503 }, 2);
    expect((await failure(s)).message).toBe('Google Workspace: 503 UNAVAILABLE after 5 retries');
    const answered = fake.server.requests.filter((r) => r.path.startsWith('/admin/'));
    expect(answered.map((r) => r.status)).toEqual([200, 200, 503, 503, 503, 503, 503, 503]);
  });

  it.each([502, 200])('an HTML page (status %i) fails the read without quoting it', async (status) => {
    fake = await start();
    fake.failWith({ status, html: true });
    const error = await failure(source({}, instant));
    expect(error.message).toMatch(
      status === 200 ? /^Google Workspace: unexpected user page \(body: / : /HTTP 502 after 5 retries$/,
    );
    expect(error.message).not.toContain('Proxy error');
  });

  it.each(['token', 'directory'] as const)(
    'a %s endpoint that echoes what it was sent gets no secret into the message',
    async (echoCredentials) => {
      fake = await start({ echoCredentials });
      const error = await failure(source());
      expect(error.message).toMatch(
        echoCredentials === 'token' ? /400 invalid_grant/ : /401 UNAUTHENTICATED/,
      );
      // What the adapter sent (the key, the tokens it got) is scrubbed wherever a body echoes it back.
      const echoed = `${key.private_key} ${fake.issuedTokens().join(' ')}`;
      const scrubbed = scrubText(echoed);
      expect(scrubbed).not.toContain('MIIC');
      for (const t of fake.issuedTokens()) expect(scrubbed).not.toContain(t);
      expect(error.message).not.toContain('ya29.');
      expect(error.message).not.toContain('eyJ');
    },
  );
});
