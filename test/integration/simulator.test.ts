import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerSimulateCommand } from '../../src/cli/simulate.js';
import type { FaultKind } from '../../src/simulator/faults.js';
import { generateOrg } from '../../src/simulator/generate.js';
import type { SimOrgSnapshot } from '../../src/simulator/org.js';
import { createRequestLog } from '../../src/simulator/request-log.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { SIM_AUTH, simControlUrl, simRequest } from '../helpers/sim-http.js';

type Json = Record<string, unknown>;

function anOrg(): SimOrgSnapshot {
  const user = (username: string, email: string | null) => ({
    username,
    firstName: 'Zoë',
    lastName: 'Łukaszewicz',
    email,
    createdAt: '2020-03-15T16:13:14Z',
    passwordLastUpdated: '2021-01-02T03:04:05Z',
    verified: true,
  });
  return {
    users: [user('jane.doe', 'jane@example.com'), user('ops+oncall', null), user('m@rk', 'm@example.com')],
    teams: [
      { slug: 'team-AAAAAAAAAAAAAAAA', name: 'Payments On-Call', version: 1, isDefaultTeam: false },
      { slug: 'team-BBBBBBBBBBBBBBBB', name: 'Platform SRE', version: 1, isDefaultTeam: false },
    ],
    memberships: [
      { username: 'jane.doe', teamSlug: 'team-AAAAAAAAAAAAAAAA' },
      { username: 'm@rk', teamSlug: 'team-AAAAAAAAAAAAAAAA' },
      { username: 'm@rk', teamSlug: 'team-BBBBBBBBBBBBBBBB' },
    ],
    policies: [],
    shifts: [],
  };
}

describe('simulator read endpoints', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ users: 250, teams: 8, seed: 7 });
  });
  afterAll(() => sim.close());

  it('serves GET /v1/user as an array of arrays that must all be flattened', async () => {
    const res = await simRequest(`${sim.url}/v1/user`);
    expect(res.status).toBe(200);
    const body = res.json as { _selfUrl: string; users: Json[][] };
    expect(body._selfUrl).toBe('/api-public/v1/user');
    expect(body.users.map((chunk) => chunk.length)).toEqual([100, 100, 50]);
    const users = body.users.flat();
    expect(users.map((u) => u.username)).toEqual(sim.org.listUsers().map((u) => u.username));
    for (const u of users) {
      expect(u).not.toHaveProperty('admin');
      expect(u.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(u._selfUrl).toBe(`/api-public/v1/user/${u.username}`);
    }
    const withoutEmail = sim.org.listUsers().filter((u) => u.email === null);
    for (const missing of withoutEmail) {
      expect(users.find((u) => u.username === missing.username)).not.toHaveProperty('email');
    }
  });

  it('serves GET /v2/user flat with displayName', async () => {
    const body = (await simRequest(`${sim.url}/v2/user`)).json as { users: Json[] };
    expect(body.users).toHaveLength(250);
    const first = sim.org.listUsers()[0]!;
    expect(body.users[0]).toMatchObject({
      username: first.username,
      displayName: `${first.firstName} ${first.lastName}`,
    });
  });

  it('serves GET /v1/team as a bare array with member counts', async () => {
    const body = (await simRequest(`${sim.url}/v1/team`)).json as Json[];
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(8);
    const team = body[0]!;
    expect(Object.keys(team).sort()).toEqual(
      [
        '_adminsUrl',
        '_membersUrl',
        '_policiesUrl',
        '_selfUrl',
        'isDefaultTeam',
        'memberCount',
        'name',
        'slug',
        'version',
      ].sort(),
    );
    expect(team.slug).toMatch(/^team-[A-Za-z0-9]{16}$/);
    expect(team.memberCount).toBe(sim.org.memberCount(String(team.slug)));
  });

  it('serves team members without email, and 404 for an unknown team', async () => {
    const slug = sim.org.listTeams()[0]!.slug;
    const body = (await simRequest(`${sim.url}/v1/team/${slug}/members`)).json as {
      _teamUrl: string;
      members: Json[];
    };
    expect(body._teamUrl).toBe(`/api-public/v1/team/${slug}`);
    expect(body.members.length).toBe(sim.org.memberCount(slug));
    expect(body.members.length).toBeGreaterThan(0);
    for (const member of body.members) {
      expect(Object.keys(member).sort()).toEqual([
        'firstName',
        'lastName',
        'username',
        'verified',
        'version',
      ]);
    }
    const missing = await simRequest(`${sim.url}/v1/team/team-doesnotexist0000/members`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: 'team-not-found' });
  });

  it('answers 401 without credentials and 403 with wrong ones', async () => {
    const none = await simRequest(`${sim.url}/v1/team`, { headers: { 'X-VO-Api-Key': '' } });
    expect(none.status).toBe(401);
    expect(none.json).toHaveProperty('error');
    const wrong = await simRequest(`${sim.url}/v1/team`, { headers: { 'X-VO-Api-Key': 'nope' } });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toEqual({ errors: ['Missing or invalid API key and/or API id'] });
  });

  it('answers 404 for unknown routes and 405 for a wrong method', async () => {
    expect((await simRequest(`${sim.url}/v1/nothing`)).status).toBe(404);
    const wrong = await simRequest(`${sim.url}/v1/team`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('records every request and finds the busiest window', async () => {
    sim.stats.reset();
    await Promise.all([1, 2, 3, 4].map(() => simRequest(`${sim.url}/v1/team`)));
    expect(sim.stats.count()).toBe(4);
    expect(sim.stats.byMethod()).toEqual({ GET: 4 });
    expect(sim.stats.maxInAnyWindow(60_000)).toBe(4);
    expect(sim.stats.count({ status: 200 })).toBe(4);

    const log = createRequestLog();
    for (const at of [0, 100, 999, 1000, 1500, 2600]) log.record('GET', '/x', at);
    expect(log.maxInAnyWindow(1000)).toBe(3); // [0,100,999] or [100,999,1000] or [999,1000,1500]
    expect(log.maxInAnyWindow(1)).toBe(1);
    expect(log.maxInAnyWindow(5000)).toBe(6);
  });
});

describe('simulator user-teams lookups and writes', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ org: anOrg() });
  });
  afterAll(() => sim.close());

  it('percent-decodes usernames and looks them up case-insensitively', async () => {
    const res = await simRequest(`${sim.url}/v1/user/${encodeURIComponent('M@RK')}/teams`);
    expect(res.status).toBe(200);
    const teams = (res.json as { teams: Json[] }).teams;
    expect(teams.map((t) => t.name)).toEqual(['Payments On-Call', 'Platform SRE']);
    expect(teams[0]).toEqual({
      name: 'Payments On-Call',
      slug: 'team-AAAAAAAAAAAAAAAA',
      memberCount: 2,
      version: 1,
      isDefaultTeam: false,
      _selfUrl: '/api-public/v1/team/team-AAAAAAAAAAAAAAAA',
    });
    expect(
      ((await simRequest(`${sim.url}/v1/user/ops+oncall/teams`)).json as { teams: Json[] }).teams,
    ).toEqual([]);
    const unknown = await simRequest(`${sim.url}/v1/user/nobody/teams`);
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: 'user-not-found' });
  });

  it('creates users, refusing missing fields and taken usernames (any case)', async () => {
    const fresh = { firstName: 'Søren', lastName: 'Berg', username: 'soren_b', email: 's@example.com' };
    const created = await simRequest(`${sim.url}/v1/user`, { method: 'POST', body: fresh });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ username: 'soren_b', email: 's@example.com' });
    const listed = (await simRequest(`${sim.url}/v1/user`)).json as { users: Json[][] };
    expect(listed.users.flat().map((u) => u.username)).toContain('soren_b');

    const missing = await simRequest(`${sim.url}/v1/user`, {
      method: 'POST',
      body: { ...fresh, email: undefined },
    });
    expect(missing.status).toBe(400);
    const taken = await simRequest(`${sim.url}/v1/user`, {
      method: 'POST',
      body: { ...fresh, username: 'JANE.DOE' },
    });
    expect(taken.status).toBe(422);
    expect(taken.json).toEqual({ error: 'User name JANE.DOE is unavailable' });
  });

  it('replaces a user fully on PUT: an omitted email is removed; the username cannot change', async () => {
    const put = await simRequest(`${sim.url}/v1/user/jane.doe`, {
      method: 'PUT',
      body: { firstName: 'Jane', lastName: 'Doe' },
    });
    expect(put.status).toBe(200);
    expect(put.json).not.toHaveProperty('email');
    expect(sim.org.getUser('jane.doe')).toMatchObject({ firstName: 'Jane', email: null });
    const renamed = await simRequest(`${sim.url}/v1/user/jane.doe`, {
      method: 'PUT',
      body: { username: 'jane2', firstName: 'Jane', lastName: 'Doe' },
    });
    expect(renamed.status).toBe(400);
  });

  it('deletes users permanently and removes them from every team', async () => {
    expect((await simRequest(`${sim.url}/v1/user/m@rk`, { method: 'DELETE' })).status).toBe(400);
    const badReplacement = await simRequest(`${sim.url}/v1/user/m@rk`, {
      method: 'DELETE',
      body: { replacement: 'ghost' },
    });
    expect(badReplacement.status).toBe(422);
    expect((await simRequest(`${sim.url}/v1/user/m@rk`, { method: 'DELETE', body: {} })).status).toBe(200);
    expect(sim.org.getUser('m@rk')).toBeUndefined();
    const members = (await simRequest(`${sim.url}/v1/team/team-AAAAAAAAAAAAAAAA/members`)).json as {
      members: Json[];
    };
    expect(members.members.map((m) => m.username)).not.toContain('m@rk');
    const teams = (await simRequest(`${sim.url}/v1/team`)).json as Json[];
    expect(teams.find((t) => t.slug === 'team-BBBBBBBBBBBBBBBB')?.memberCount).toBe(0);
    expect((await simRequest(`${sim.url}/v1/user/m@rk/teams`)).status).toBe(404);
  });

  it('adds and removes team members', async () => {
    const slug = 'team-BBBBBBBBBBBBBBBB';
    const before = sim.org.getTeam(slug)!.version;
    const add = await simRequest(`${sim.url}/v1/team/${slug}/members`, {
      method: 'POST',
      body: { username: 'ops+oncall' },
    });
    expect(add.status).toBe(200);
    expect(sim.org.membersOfTeam(slug).map((u) => u.username)).toEqual(['ops+oncall']);
    // A membership change leaves `version` alone (only edits of the team record move it).
    expect(sim.org.getTeam(slug)!.version).toBe(before);
    const remove = await simRequest(
      `${sim.url}/v1/team/${slug}/members/${encodeURIComponent('ops+oncall')}`,
      {
        method: 'DELETE',
      },
    );
    expect(remove.status).toBe(200);
    expect(sim.org.memberCount(slug)).toBe(0);
    const again = await simRequest(`${sim.url}/v1/team/${slug}/members/ops+oncall`, { method: 'DELETE' });
    expect(again.status).toBe(404);
  });
});

describe('simulator faults, rate limits and latency', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.close());

  const expectations: [FaultKind, (res: Awaited<ReturnType<typeof simRequest>>) => void][] = [
    ['http500', (res) => expect(res.status).toBe(500)],
    ['http503', (res) => expect(res.status).toBe(503)],
    [
      'malformed',
      (res) => {
        expect(res.status).toBe(200);
        expect(res.text).toBe('{"users":[[{"user');
        expect(res.json).toBeUndefined();
      },
    ],
    [
      'html502',
      (res) => {
        expect(res.status).toBe(502);
        expect(res.headers.get('content-type')).toContain('text/html');
        expect(res.text).toContain('<h1>502 Bad Gateway</h1>');
      },
    ],
    ['empty200', (res) => expect([res.status, res.text]).toEqual([200, ''])],
    ['http403', (res) => expect([res.status, res.headers.get('retry-after')]).toEqual([403, '3'])],
    ['http429', (res) => expect([res.status, res.headers.get('retry-after')]).toEqual([429, '3'])],
  ];
  it.each(expectations)('injects %s faults that fire `times` times, before auth', async (kind, check) => {
    sim.faults.inject({ match: '/v1/team', kind, times: 2, retryAfterSeconds: 3 });
    check(await simRequest(`${sim.url}/v1/team`, { headers: { 'X-VO-Api-Key': '' } }));
    check(await simRequest(`${sim.url}/v1/team`));
    expect((await simRequest(`${sim.url}/v1/team`)).status).toBe(200);
  });

  it('hangs requests until the client gives up, then serves normally', async () => {
    sim.faults.inject({ match: /\/v1\/user$/, kind: 'hang', times: 1 });
    // The client gives up once its request is really hanging at the server, not after a guessed pause.
    const giveUp = new AbortController();
    const before = sim.stats.count({ path: '/v1/user' });
    const hung = simRequest(`${sim.url}/v1/user`, { signal: giveUp.signal });
    await sim.stats.arrived({ path: '/v1/user' }, before + 1);
    giveUp.abort();
    await expect(hung).rejects.toThrow();
    expect((await simRequest(`${sim.url}/v1/user`)).status).toBe(200);
  });

  it('closes promptly even while a request hangs', async () => {
    const other = await startSimulator();
    other.faults.inject({ match: 'user', kind: 'hang', times: 1 });
    const pending = fetch(`${other.url}/v1/user`, { headers: SIM_AUTH }).catch((error: unknown) => error);
    // Closed only once the request is really hanging there, not after a guessed pause.
    await other.stats.arrived();
    await other.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(other.stats.entries()[0]).toMatchObject({ path: '/api-public/v1/user', status: 0 });
  });

  it('rate-limits per key with 429 and Retry-After', async () => {
    sim.setRateLimit({ rps: 2, status: 429, retryAfter: true });
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof simRequest>> | undefined;
    for (let i = 0; i < 4; i += 1) {
      const res = await simRequest(`${sim.url}/v1/team`);
      statuses.push(res.status);
      if (res.status !== 200) limited = res;
    }
    sim.setRateLimit(null);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(limited?.headers.get('retry-after')).toBe('1');
  });

  it('rate-limits with 403 and no Retry-After when so configured, after auth', async () => {
    sim.setRateLimit({ rps: 1, status: 403, retryAfter: false });
    const first = await simRequest(`${sim.url}/v1/team`);
    const second = await simRequest(`${sim.url}/v1/team`);
    const unauthenticated = await simRequest(`${sim.url}/v1/team`, { headers: { 'X-VO-Api-Id': '' } });
    sim.setRateLimit(null);
    expect(first.status).toBe(200);
    expect(second.status).toBe(403);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(unauthenticated.status).toBe(401);
  });

  it('adds the configured latency to API responses', async () => {
    // The wait the simulator asks for is recorded rather than timed.
    const waits: number[] = [];
    const slow = await startSimulator({
      delay: async (ms) => {
        waits.push(ms);
      },
    });
    try {
      slow.setLatency(150);
      expect((await simRequest(`${slow.url}/v1/team`)).status).toBe(200);
      slow.setLatency(0);
      expect((await simRequest(`${slow.url}/v1/team`)).status).toBe(200);
      expect(waits).toEqual([150]);
    } finally {
      await slow.close();
    }
  });
});

describe('simulator control routes', () => {
  let sim: Simulator;
  let control: string;
  beforeAll(async () => {
    sim = await startSimulator({ seed: 3 });
    control = simControlUrl(sim.url);
  });
  afterAll(() => sim.close());

  it('creates, renames and removes teams without auth and without touching stats', async () => {
    sim.stats.reset();
    const created = await simRequest(`${control}/teams`, {
      method: 'POST',
      body: { name: 'Search SRE' },
      headers: {},
    });
    expect(created.status).toBe(201);
    const slug = String((created.json as Json).slug);
    expect(slug).toMatch(/^team-[A-Za-z0-9]{16}$/);
    expect(
      (await simRequest(`${control}/teams/${slug}`, { method: 'PATCH', body: { name: 'Search On-Call' } }))
        .status,
    ).toBe(200);
    expect(sim.org.getTeam(slug)?.name).toBe('Search On-Call');
    expect((await simRequest(`${control}/teams/${slug}`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.org.getTeam(slug)).toBeUndefined();
    expect(sim.stats.count()).toBe(0);
  });

  it('injects faults, reports stats, sets the rate limit and applies drift over HTTP', async () => {
    await simRequest(`${control}/stats/reset`, { method: 'POST' });
    await simRequest(`${control}/faults`, {
      method: 'POST',
      body: { match: 'v1/team', kind: 'http503', times: 1 },
    });
    expect((await simRequest(`${sim.url}/v1/team`)).status).toBe(503);
    expect(
      (
        await simRequest(`${control}/rate-limit`, {
          method: 'PUT',
          body: { rps: 1, status: 429, retryAfter: false },
        })
      ).status,
    ).toBe(200);
    await simRequest(`${sim.url}/v1/team`);
    expect((await simRequest(`${sim.url}/v1/team`)).status).toBe(429);
    await simRequest(`${control}/rate-limit`, { method: 'PUT', body: null });
    const stats = (await simRequest(`${control}/stats`)).json as Json;
    expect(stats).toMatchObject({
      count: 3,
      byStatus: { '503': 1, '200': 1, '429': 1 },
      maxInAnyWindow: { windowMs: 1000, count: 3 },
    });

    const before = sim.org.snapshot();
    const drift = (await simRequest(`${control}/drift`, { method: 'POST', body: { count: 5 } })).json as {
      changes: string[];
    };
    expect(drift.changes.length).toBeGreaterThan(0);
    expect(sim.org.snapshot()).not.toEqual(before);
    const org = (await simRequest(`${control}/org`)).json as SimOrgSnapshot;
    expect(org).toEqual(sim.org.snapshot());
    expect((await simRequest(`${control}/health`)).status).toBe(200);
    expect(
      (await simRequest(`${control}/faults`, { method: 'POST', body: { match: 'x', kind: 'nope' } })).status,
    ).toBe(400);
  });
});

describe('generated orgs and drift', () => {
  it('is deterministic from the seed', () => {
    expect(generateOrg({ users: 300, teams: 12, seed: 42 })).toEqual(
      generateOrg({ users: 300, teams: 12, seed: 42 }),
    );
    expect(generateOrg({ users: 300, teams: 12, seed: 42 })).not.toEqual(
      generateOrg({ users: 300, teams: 12, seed: 43 }),
    );
  });

  it('generates a realistic 20,000-user / 500-team org', () => {
    const org = generateOrg({ users: 20_000, teams: 500, seed: 1 });
    expect(org.users).toHaveLength(20_000);
    expect(org.teams).toHaveLength(500);
    expect(org.memberships.length).toBeGreaterThanOrEqual(50_000);
    expect(org.memberships.length).toBeLessThanOrEqual(70_000);
    expect(new Set(org.users.map((u) => u.username.toLowerCase())).size).toBe(20_000);
    const names = org.users.map((u) => `${u.firstName} ${u.lastName}`);
    expect(names.some((name) => [...name].some((char) => char.codePointAt(0)! > 127))).toBe(true);
    for (const char of ['.', '+', '@', '-', '_'])
      expect(org.users.some((u) => u.username.includes(char))).toBe(true);
    expect(org.users.some((u) => u.email === null)).toBe(true);
    const perUser = new Map<string, number>();
    for (const m of org.memberships) perUser.set(m.username, (perUser.get(m.username) ?? 0) + 1);
    expect(Math.max(...perUser.values())).toBeLessThanOrEqual(6);
    expect(perUser.size).toBeLessThan(20_000);
    const staffed = new Set(org.memberships.map((m) => m.teamSlug));
    expect(org.teams.some((t) => !staffed.has(t.slug))).toBe(true);
  });

  it('drifts the same way for the same seed', async () => {
    const a = await startSimulator({ users: 50, teams: 6, seed: 9 });
    const b = await startSimulator({ users: 50, teams: 6, seed: 9 });
    try {
      const changes = a.applyDrift(30);
      expect(b.applyDrift(30)).toEqual(changes);
      expect(changes.some((c) => c.startsWith('hired '))).toBe(true);
      expect(changes.some((c) => c.endsWith(' left the org'))).toBe(true);
      const shape = (s: Simulator) => ({
        ...s.org.snapshot(),
        users: s.org.listUsers().map((u) => [u.username, u.email]),
      });
      expect(shape(b)).toEqual(shape(a));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('simulate command options', () => {
  it.each([
    ['--port', 'abc'],
    ['--users', '-5'],
    ['--rate-limit-status', '500'],
    ['--drift', '0'],
  ])('rejects %s %s with one line and exit code 2', async (flag, value) => {
    const errors: string[] = [];
    const program = new Command('roster-watch')
      .exitOverride()
      .configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
    registerSimulateCommand(program);
    const failure = await program
      .parseAsync(['simulate', flag, value], { from: 'user' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CommanderError);
    expect((failure as CommanderError).exitCode).toBe(2);
    expect(errors.join('').trim().split('\n')).toHaveLength(1);
    expect(errors.join('')).toContain(flag);
  });
});
