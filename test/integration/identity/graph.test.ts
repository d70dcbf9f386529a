/**
 * The Graph fake is checked against Microsoft's documented responses (contract), then the Entra ID
 * adapter a user runs is driven against it over real HTTP: token, $select, paging, throttling.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { GRAPH_USER_SELECT } from '../../../src/identity/graph-schemas.js';
import { createGraphSource } from '../../../src/identity/graph-source.js';
import { summariseRead } from '../../../src/roster/identity-findings.js';
import { wantedKeys } from '../../../src/roster/identity-match.js';
import {
  type GraphFake,
  type GraphFakeUser,
  startGraphFake,
} from '../../../src/simulator/identity/graph-fake.js';
import { aUser } from '../../helpers/builders.js';
import { createFakeClock } from '../../helpers/fake-clock.js';
import { matchSettings } from '../../helpers/identity-unit.js';
import { shapeDifferences } from '../../helpers/shape.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../../fixtures/graph', name), 'utf8')) as {
    body: unknown;
  };

const creds = { tenantId: 'contoso-tenant', clientId: 'app-id', clientSecret: 'sec.ret~value' };
const users: GraphFakeUser[] = Array.from({ length: 5 }, (_, i) => ({
  id: `0000000${i}-aaaa-bbbb-cccc-dddddddddddd`,
  displayName: `Person ${i}`,
  mail: `person${i}@contoso.com`,
  otherMails: i === 2 ? ['p2@personal.example'] : [],
  proxyAddresses: [`SMTP:person${i}@contoso.com`, `smtp:alias${i}@contoso.com`],
  userPrincipalName: `person${i}@contoso.onmicrosoft.com`,
  accountEnabled: i !== 3,
}));

let fake: GraphFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function token(scope = 'https://graph.microsoft.com/.default', secret = creds.clientSecret) {
  const res = await request(`${fake!.authorityUrl}/${creds.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: creds.clientId,
      client_secret: secret,
      scope,
      grant_type: 'client_credentials',
    }).toString(),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}
const instant: Clock = { now: () => Date.now(), sleep: async () => undefined };
const source = (clock: Clock = systemClock) =>
  createGraphSource(
    { ...creds, authorityUrl: fake!.authorityUrl, graphUrl: fake!.graphUrl },
    { clock, timeoutMs: 5_000 },
  );

describe('the Graph fake matches the documented responses', () => {
  it('token success and error bodies', async () => {
    fake = await startGraphFake({ ...creds, users });
    expect(shapeDifferences(fixture('token-response.json').body, (await token()).body)).toEqual([]);
    const bad = await token('https://foo.microsoft.com/.default');
    expect(bad.status).toBe(400);
    expect(shapeDifferences(fixture('token-error.json').body, bad.body)).toEqual([]);
  });

  it('a user page with $select, @odata.nextLink and error bodies', async () => {
    fake = await startGraphFake({ ...creds, users });
    const access = (await token()).body.access_token as string;
    const res = await request(`${fake.graphUrl}/v1.0/users?$select=${GRAPH_USER_SELECT}&$top=2`, {
      headers: { authorization: `Bearer ${access}` },
    });
    const page = (await res.body.json()) as Record<string, unknown>;
    // Example 1 shows a default (unselected) user; compare the fields that $select asks for.
    const documented = (fixture('list-users-example-1.json').body as { value: Record<string, unknown>[] })
      .value[0]!;
    const selected = Object.fromEntries(
      Object.entries(documented).filter(([k]) => GRAPH_USER_SELECT.split(',').includes(k)),
    );
    expect(Object.keys(selected).sort()).toEqual([
      'displayName',
      'mail',
      'otherMails',
      'proxyAddresses',
      'userPrincipalName',
    ]);
    expect(shapeDifferences({ value: [selected] }, page)).toEqual([]);
    expect(Object.keys((page.value as object[])[0]!).sort()).toEqual(GRAPH_USER_SELECT.split(',').sort());
    expect(shapeDifferences(fixture('next-link.json').body, page)).toEqual([]);
    const denied = await request(`${fake.graphUrl}/v1.0/users`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(denied.statusCode).toBe(401);
    expect(shapeDifferences(fixture('error-response.json').body, await denied.body.json())).toEqual([]);
  });
});

describe('the Entra ID adapter', () => {
  it('reads every page with one token; a disabled account is inactive', async () => {
    fake = await startGraphFake({ ...creds, users, defaultPageSize: 2 });
    const identities = await source().read(new AbortController().signal);
    expect(identities).toHaveLength(5);
    expect(identities.find((i) => i.id.startsWith('00000003'))).toMatchObject({
      active: false,
      status: 'disabled',
    });
    expect(identities.find((i) => i.id.startsWith('00000002'))?.emails).toEqual([
      'person2@contoso.com',
      'alias2@contoso.com',
      'p2@personal.example',
      'person2@contoso.onmicrosoft.com',
    ]);
    const paths = fake.server.requests.map((r) => r.path);
    expect(paths.filter((p) => p.includes('/oauth2/v2.0/token'))).toHaveLength(1);
    // $top=999 asks for large pages; the fake answers at most 999, so 5 users are one page.
    expect(paths.filter((p) => p.startsWith('/graph/v1.0/users'))).toHaveLength(1);
  });

  it('keeps only the users a recorded user can match, page by page, and summarises every user (issue 21)', async () => {
    fake = await startGraphFake({ ...creds, users, defaultPageSize: 2 });
    const signal = new AbortController().signal;
    // person2 by an alias of proxyAddresses, person3 (disabled) by its mail.
    const wanted = wantedKeys(
      [aUser('a', { email: 'ALIAS2@contoso.com' }), aUser('b', { email: 'person3@contoso.com' })],
      matchSettings(),
    );
    const kept = await source().readKept?.(signal, wanted);
    const whole = await source().read(signal);
    expect(kept?.identities).toEqual(
      whole.filter((i) => i.id.startsWith('00000002') || i.id.startsWith('00000003')),
    );
    expect(kept?.identities).toHaveLength(2);
    expect(kept?.summary).toEqual(summariseRead(whole));
  });

  it('waits for Retry-After when throttled, and renews a revoked token once', async () => {
    fake = await startGraphFake({ ...creds, users });
    fake.throttle(2, 1);
    // The waits are on a fake clock: the test checks what the adapter waited, without waiting it.
    const clock = createFakeClock();
    const startMs = clock.now();
    const s = source(clock);
    expect(await clock.runUntilSettled(s.read(new AbortController().signal))).toHaveLength(5);
    expect(s.stats().rateLimited).toBe(2);
    expect(clock.now() - startMs).toBe(2 * 1_000);
    fake.revokeTokens();
    expect(await clock.runUntilSettled(s.read(new AbortController().signal))).toHaveLength(5);
  });

  it('a wrong secret is an auth error naming the variables, never the secret', async () => {
    fake = await startGraphFake({ ...creds, clientSecret: 'the-real-one', users });
    const error = (await source()
      .read(new AbortController().signal)
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(
      /Entra ID token: 401 invalid_client \(AADSTS7000215\): check ENTRA_TENANT_ID, ENTRA_CLIENT_ID and ENTRA_CLIENT_SECRET$/,
    );
    expect(error.message).not.toContain(creds.clientSecret);
  });

  it('a nextLink back to a page already read fails the read instead of paging forever', async () => {
    fake = await startGraphFake({ ...creds, users, defaultPageSize: 2 });
    fake.loopPaging();
    await expect(source(instant).read(new AbortController().signal)).rejects.toMatchObject({
      code: 'bad-response',
      message: expect.stringMatching(/Microsoft Graph: an @odata.nextLink points to a page already read/),
    });
  });

  it('a listing still paging after its time budget fails the read', async () => {
    // 5,000 users: six pages at the adapter's $top of 999.
    const many = Array.from({ length: 5_000 }, (_, i) => ({ ...users[i % 5]!, id: `user-${i}` }));
    fake = await startGraphFake({ ...creds, users: many });
    // Every reading of the clock is 11 minutes later: the 30-minute budget is spent within a few pages.
    let t = Date.parse('2026-03-01T00:00:00Z');
    const slow: Clock = { now: () => (t += 660_000), sleep: async () => undefined };
    await expect(source(slow).read(new AbortController().signal)).rejects.toMatchObject({
      code: 'bad-response',
      message: expect.stringMatching(/^Microsoft Graph: still paging after 30 minutes \(after \d+ pages\)/),
    });
  });

  it('an outage fails the read', async () => {
    fake = await startGraphFake({ ...creds, users });
    fake.failWith(503);
    await expect(source(instant).read(new AbortController().signal)).rejects.toThrow(
      /503 serviceNotAvailable.*after 5 retries/,
    );
  });

  // Graph documents Retry-After on 429, 503 and 504; a 500 or 502 from a gateway on the way is as
  // passing, and a GET is safe to repeat, so it is waited out as Okta's and Google's are.
  it.each([500, 502])('a %i is retried, then fails as unreachable', async (status) => {
    fake = await startGraphFake({ ...creds, users });
    fake.failWith(status);
    const error = await source(instant)
      .read(new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unreachable', retryable: true });
    expect((error as Error).message).toBe(`Microsoft Graph: ${status} serviceNotAvailable after 5 retries`);
    expect(fake.server.requests.filter((r) => r.status === status)).toHaveLength(6);
  });
});
