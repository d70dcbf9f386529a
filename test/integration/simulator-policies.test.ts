import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOrg } from '../../src/simulator/generate.js';
import type { SimOrgSnapshot } from '../../src/simulator/org.js';
import type { SimShift } from '../../src/simulator/policies.js';
import { formatWithOffset, teamOffsetMinutes } from '../../src/simulator/policy-responses.js';
import { createPerMinuteLimiter } from '../../src/simulator/rate-limit.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { simControlUrl, simRequest } from '../helpers/sim-http.js';

type Json = Record<string, unknown>;

const PAY = 'team-AAAAAAAAAAAAAAAA';
const SRE = 'team-BBBBBBBBBBBBBBBB';
const EMPTY = 'team-CCCCCCCCCCCCCCCC';
const PAY_POLICY = 'pol-PayPrimary00001';
const SRE_POLICY = 'pol-SrePrimary00001';
const NOW = new Date('2025-06-01T12:00:00Z');

function day(n: number): string {
  return new Date(Date.UTC(2025, 5, 1 + n)).toISOString().replace('.000Z', 'Z');
}

function payShifts(): SimShift[] {
  const rota = ['jane.doe', 'm@rk'];
  return [0, 1, 2, 3, 4].map((n) => ({
    teamSlug: PAY,
    policySlug: PAY_POLICY,
    rotationName: 'Payments rotation',
    shiftName: 'Primary',
    username: rota[n % 2]!,
    start: day(n),
    end: day(n + 1),
  }));
}

function anOrg(): SimOrgSnapshot {
  const user = (username: string, firstName: string, lastName: string) => ({
    username,
    firstName,
    lastName,
    email: `${username.replace('@', 'a')}@example.com`,
    createdAt: '2020-03-15T16:13:14Z',
    passwordLastUpdated: '2021-01-02T03:04:05Z',
    verified: true,
  });
  return {
    users: [
      user('jane.doe', 'Jane', 'Doe'),
      user('m@rk', 'Mark', 'Łukaszewicz'),
      user('ops+oncall', 'Ops', 'Bot'),
    ],
    teams: [
      { slug: PAY, name: 'Payments On-Call', version: 1, isDefaultTeam: false },
      { slug: SRE, name: 'Platform SRE', version: 1, isDefaultTeam: false },
      { slug: EMPTY, name: 'Nobody Home', version: 1, isDefaultTeam: false },
    ],
    memberships: [
      { username: 'jane.doe', teamSlug: PAY },
      { username: 'm@rk', teamSlug: PAY },
      { username: 'm@rk', teamSlug: SRE },
    ],
    policies: [
      {
        slug: PAY_POLICY,
        name: 'Payments Primary',
        teamSlug: PAY,
        steps: [
          {
            timeout: 5,
            entries: [
              {
                executionType: 'rotation_group',
                rotationSlug: 'rtg-PayRotation1',
                rotationLabel: 'Payments rotation',
              },
            ],
          },
          { timeout: 15, entries: [{ executionType: 'user', username: 'M@RK' }] },
        ],
      },
      {
        slug: SRE_POLICY,
        name: 'SRE Primary',
        teamSlug: SRE,
        steps: [{ timeout: 10, entries: [{ executionType: 'user', username: 'm@rk' }] }],
      },
    ],
    shifts: payShifts(),
  };
}

describe('simulator policy and schedule endpoints', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ org: anOrg(), now: () => NOW, policyListPerMinute: 0 });
  });
  afterAll(() => sim.close());

  it('lists policies with their teams', async () => {
    const res = await simRequest(`${sim.url}/v1/policies`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      policies: [
        {
          policy: {
            name: 'Payments Primary',
            slug: PAY_POLICY,
            _selfUrl: `/api-public/v1/policies/${PAY_POLICY}`,
          },
          team: { name: 'Payments On-Call', slug: PAY },
        },
        {
          policy: {
            name: 'SRE Primary',
            slug: SRE_POLICY,
            _selfUrl: `/api-public/v1/policies/${SRE_POLICY}`,
          },
          team: { name: 'Platform SRE', slug: SRE },
        },
      ],
    });
  });

  it('serves a policy with rotation-group and user-page entries, and 404 for an unknown one', async () => {
    const res = await simRequest(`${sim.url}/v1/policies/${PAY_POLICY}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      name: 'Payments Primary',
      slug: PAY_POLICY,
      teamSlug: PAY,
      ignoreCustomPagingPolicies: false,
      steps: [
        {
          timeout: 5,
          entries: [
            {
              executionType: 'rotation_group',
              rotationGroup: { slug: 'rtg-PayRotation1', label: 'Payments rotation' },
            },
          ],
        },
        {
          timeout: 15,
          // Looked up case-insensitively, answered in the user's own spelling.
          entries: [{ executionType: 'user', user: { username: 'm@rk' } }],
        },
      ],
    });
    const unknown = await simRequest(`${sim.url}/v1/policies/pol-nope`);
    expect([unknown.status, unknown.json]).toEqual([404, { error: 'policy-not-found' }]);
  });

  it('serves the team schedule for the default 14 days, with who holds the shift now', async () => {
    const res = await simRequest(`${sim.url}/v2/team/${PAY}/oncall/schedule`);
    expect(res.status).toBe(200);
    // Times carry the team's UTC offset, as the real API writes them.
    const local = (iso: string) => formatWithOffset(iso, teamOffsetMinutes(PAY));
    const rolls = payShifts().map((shift, i) => ({
      start: local(shift.start),
      end: local(shift.end),
      onCallUser: { username: shift.username },
      isRoll: i !== 0,
    }));
    expect(res.json).toEqual({
      team: { name: 'Payments On-Call', slug: PAY },
      schedules: [
        {
          policy: { name: 'Payments Primary', slug: PAY_POLICY },
          schedule: [
            {
              onCallUser: { username: 'jane.doe' },
              onCallType: 'rotation_group',
              rotationName: 'Payments rotation',
              shiftName: 'Primary',
              shiftRoll: local(day(1)),
              rolls,
            },
          ],
          overrides: [],
        },
      ],
    });
  });

  it('limits the schedule to [now + daysSkip, now + daysSkip + daysForward) and validates both', async () => {
    const window = async (query: string) => {
      const res = await simRequest(`${sim.url}/v2/team/${PAY}/oncall/schedule?${query}`);
      const body = res.json as { schedules: { schedule: Json[] }[] };
      return body.schedules[0]!.schedule;
    };
    // Noon on day 0 to noon on day 1: the shifts of day 0 and day 1.
    const [first] = await window('daysForward=1');
    const starts = (rolls: unknown) =>
      (rolls as Json[]).map((roll) =>
        new Date(Date.parse(String(roll.start))).toISOString().replace('.000Z', 'Z'),
      );
    expect(starts(first!.rolls)).toEqual([day(0), day(1)]);
    // Noon on day 2 to noon on day 3; jane.doe holds day 2.
    const [skipped] = await window('daysForward=1&daysSkip=2');
    expect(skipped).toMatchObject({ onCallUser: { username: 'jane.doe' } });
    expect(Date.parse(String(skipped!.shiftRoll))).toBe(Date.parse(day(3)));
    expect(starts(skipped!.rolls)).toEqual([day(2), day(3)]);
    // Past the last shift the rotation is still listed, with nobody on call and no rolls.
    expect(await window('daysSkip=10')).toEqual([
      { onCallType: 'rotation_group', rotationName: 'Payments rotation', shiftName: 'Primary', rolls: [] },
    ]);
    expect((await window('daysForward=30')).length).toBe(1);

    for (const query of [
      'daysForward=31',
      'daysForward=0',
      'daysForward=abc',
      'daysSkip=91',
      'daysSkip=-1',
    ]) {
      const res = await simRequest(`${sim.url}/v2/team/${PAY}/oncall/schedule?${query}`);
      expect(res.status, query).toBe(400);
    }
    const unknown = await simRequest(`${sim.url}/v2/team/team-nope/oncall/schedule`);
    expect([unknown.status, unknown.json]).toEqual([404, { error: 'team-not-found' }]);
  });

  it('lists every policy of a team in its schedule, even one without shifts', async () => {
    const sre = (await simRequest(`${sim.url}/v2/team/${SRE}/oncall/schedule`)).json;
    expect(sre).toEqual({
      team: { name: 'Platform SRE', slug: SRE },
      schedules: [{ policy: { name: 'SRE Primary', slug: SRE_POLICY }, schedule: [], overrides: [] }],
    });
    const empty = (await simRequest(`${sim.url}/v2/team/${EMPTY}/oncall/schedule`)).json;
    expect(empty).toEqual({ team: { name: 'Nobody Home', slug: EMPTY }, schedules: [] });
  });

  it('requires the API credentials', async () => {
    const res = await simRequest(`${sim.url}/v1/policies`, { headers: { 'X-VO-Api-Key': 'wrong' } });
    expect(res.status).toBe(403);
  });
});

describe('a deleted user stays in policies and schedules', () => {
  it('pages a bare username and keeps the shifts, while removing a team takes its policies along', async () => {
    const sim = await startSimulator({ org: anOrg(), now: () => NOW, policyListPerMinute: 0 });
    try {
      const before = sim.org.revision;
      expect((await simRequest(`${sim.url}/v1/user/m@rk`, { method: 'DELETE', body: {} })).status).toBe(200);
      expect(sim.org.revision).toBeGreaterThan(before);

      const policy = (await simRequest(`${sim.url}/v1/policies/${PAY_POLICY}`)).json as {
        steps: { entries: Json[] }[];
      };
      expect(policy.steps[1]!.entries).toEqual([{ executionType: 'user', user: { username: 'M@RK' } }]);
      expect(sim.org.listShifts(PAY).filter((shift) => shift.username === 'm@rk')).toHaveLength(2);
      const schedule = (await simRequest(`${sim.url}/v2/team/${PAY}/oncall/schedule`)).json as {
        schedules: { schedule: { rolls: { onCallUser: Json }[] }[] }[];
      };
      const rolled = schedule.schedules[0]!.schedule[0]!.rolls.map((roll) => roll.onCallUser.username);
      expect(rolled).toEqual(['jane.doe', 'm@rk', 'jane.doe', 'm@rk', 'jane.doe']);

      const control = simControlUrl(sim.url);
      expect((await simRequest(`${control}/teams/${PAY}`, { method: 'DELETE' })).status).toBe(200);
      expect(sim.org.getPolicy(PAY_POLICY)).toBeUndefined();
      expect(sim.org.listShifts(PAY)).toEqual([]);
      expect(sim.org.listPolicies().map((p) => p.slug)).toEqual([SRE_POLICY]);
      expect((await simRequest(`${sim.url}/v1/policies/${PAY_POLICY}`)).status).toBe(404);
    } finally {
      await sim.close();
    }
  });
});

describe('the policy list rate limit', () => {
  it('allows one list call a minute per key by default, counts every call, and leaves details alone', async () => {
    const sim = await startSimulator({ org: anOrg() });
    try {
      const first = await simRequest(`${sim.url}/v1/policies`);
      const second = await simRequest(`${sim.url}/v1/policies/`);
      expect(first.status).toBe(200);
      expect(second.status).toBe(429);
      expect(second.json).toEqual({ error: 'rate limit exceeded' });
      expect(second.headers.get('retry-after')).toBeNull();
      for (let i = 0; i < 3; i += 1) {
        expect((await simRequest(`${sim.url}/v1/policies/${PAY_POLICY}`)).status).toBe(200);
      }
      expect(sim.stats.count({ path: '/v1/policies', method: 'GET' })).toBe(5);
      expect(sim.stats.count({ path: '/v1/policies', status: 429 })).toBe(1);

      const control = simControlUrl(sim.url);
      const put = await simRequest(`${control}/policy-list-limit`, { method: 'PUT', body: { perMinute: 2 } });
      expect([put.status, put.json]).toEqual([200, { perMinute: 2 }]);
      const statuses = [];
      for (let i = 0; i < 3; i += 1) statuses.push((await simRequest(`${sim.url}/v1/policies`)).status);
      expect(statuses).toEqual([200, 200, 429]);
      expect(
        (await simRequest(`${control}/policy-list-limit`, { method: 'PUT', body: { perMinute: -1 } })).status,
      ).toBe(400);

      sim.setPolicyListLimit(0);
      for (let i = 0; i < 3; i += 1) expect((await simRequest(`${sim.url}/v1/policies`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('is unlimited with policyListPerMinute: 0', async () => {
    const sim = await startSimulator({ org: anOrg(), policyListPerMinute: 0 });
    try {
      for (let i = 0; i < 5; i += 1) expect((await simRequest(`${sim.url}/v1/policies`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('slides a 60 s window over the admitted calls of each key', () => {
    const limiter = createPerMinuteLimiter(1);
    expect(limiter.admit('k', 0)).toBe(true);
    expect(limiter.admit('k', 59_999)).toBe(false);
    expect(limiter.admit('other', 59_999)).toBe(true);
    // The refused call at 59 999 did not restart the window.
    expect(limiter.admit('k', 60_000)).toBe(true);
    expect(createPerMinuteLimiter(Number.POSITIVE_INFINITY).admit('k', 0)).toBe(true);
    expect(() => createPerMinuteLimiter(-1)).toThrow(RangeError);
  });
});

describe('policy and shift control routes', () => {
  let sim: Simulator;
  let control: string;
  beforeAll(async () => {
    sim = await startSimulator({ org: anOrg(), now: () => NOW, policyListPerMinute: 0 });
    control = simControlUrl(sim.url);
  });
  afterAll(() => sim.close());

  it('creates, edits and removes policies without auth or stats', async () => {
    sim.stats.reset();
    const steps = [{ timeout: 5, entries: [{ executionType: 'user', username: 'jane.doe' }] }];
    const created = await simRequest(`${control}/policies`, {
      method: 'POST',
      body: { name: 'SRE Secondary', teamSlug: SRE, steps },
      headers: {},
    });
    expect(created.status).toBe(201);
    const slug = String((created.json as Json).slug);
    expect(slug).toMatch(/^pol-[A-Za-z0-9]{16}$/);
    expect(created.json).toEqual({ slug, name: 'SRE Secondary', teamSlug: SRE, steps });

    const explicit = await simRequest(`${control}/policies`, {
      method: 'POST',
      body: {
        name: 'Empty steps',
        teamSlug: SRE,
        steps: [{ timeout: 0, entries: [] }],
        slug: 'pol-explicit',
      },
    });
    expect(explicit.status).toBe(201);
    expect(sim.org.getPolicy('pol-explicit')?.steps).toEqual([{ timeout: 0, entries: [] }]);
    const taken = await simRequest(`${control}/policies`, {
      method: 'POST',
      body: { name: 'Again', teamSlug: SRE, steps: [], slug: 'pol-explicit' },
    });
    expect(taken.status).toBe(422);
    const noTeam = await simRequest(`${control}/policies`, {
      method: 'POST',
      body: { name: 'Orphan', teamSlug: 'team-nope', steps: [] },
    });
    expect([noTeam.status, noTeam.json]).toEqual([404, { error: 'team-not-found' }]);
    const badEntry = await simRequest(`${control}/policies`, {
      method: 'POST',
      body: { name: 'Bad', teamSlug: SRE, steps: [{ timeout: 5, entries: [{ executionType: 'email' }] }] },
    });
    expect(badEntry.status).toBe(400);

    const revision = sim.org.revision;
    const renamed = await simRequest(`${control}/policies/${slug}`, {
      method: 'PUT',
      body: { name: 'SRE Backup' },
    });
    expect(renamed.json).toEqual({ slug, name: 'SRE Backup', teamSlug: SRE, steps });
    expect(sim.org.revision).toBe(revision + 1);
    const rotation = {
      timeout: 10,
      entries: [
        { executionType: 'rotation_group', rotationSlug: 'rtg-SreRotation1', rotationLabel: 'SRE rotation' },
      ],
    };
    await simRequest(`${control}/policies/${slug}`, { method: 'PUT', body: { steps: [rotation] } });
    expect(sim.org.getPolicy(slug)).toEqual({ slug, name: 'SRE Backup', teamSlug: SRE, steps: [rotation] });
    expect((await simRequest(`${control}/policies/pol-nope`, { method: 'PUT', body: {} })).status).toBe(404);

    expect((await simRequest(`${control}/policies/${slug}`, { method: 'DELETE' })).status).toBe(200);
    expect(sim.org.getPolicy(slug)).toBeUndefined();
    expect((await simRequest(`${control}/policies/${slug}`, { method: 'DELETE' })).status).toBe(404);
    expect(sim.stats.count()).toBe(0);
  });

  it('replaces a team’s shifts, refusing policies of other teams and backwards shifts', async () => {
    const shift = {
      policySlug: SRE_POLICY,
      rotationName: 'SRE rotation',
      shiftName: 'Nights',
      username: 'm@rk',
      start: '2025-06-01T18:00:00Z',
      end: '2025-06-02T06:00:00Z',
    };
    const put = await simRequest(`${control}/teams/${SRE}/shifts`, { method: 'PUT', body: [shift] });
    expect([put.status, put.json]).toEqual([200, { shifts: [{ teamSlug: SRE, ...shift }] }]);
    const schedule = (await simRequest(`${sim.url}/v2/team/${SRE}/oncall/schedule?daysForward=1`)).json as {
      schedules: { schedule: Json[] }[];
    };
    // Nobody holds the shift at noon: no on-call user, the coming roll is listed.
    const rotation = schedule.schedules[0]!.schedule[0]!;
    expect(rotation).toMatchObject({
      shiftName: 'Nights',
      rolls: [{ onCallUser: { username: 'm@rk' }, isRoll: true }],
    });
    expect(rotation.onCallUser).toBeUndefined();

    const otherTeams = await simRequest(`${control}/teams/${SRE}/shifts`, {
      method: 'PUT',
      body: [{ ...shift, policySlug: PAY_POLICY }],
    });
    expect(otherTeams.status).toBe(404);
    const backwards = await simRequest(`${control}/teams/${SRE}/shifts`, {
      method: 'PUT',
      body: [{ ...shift, end: shift.start }],
    });
    expect(backwards.status).toBe(400);
    const notIso = await simRequest(`${control}/teams/${SRE}/shifts`, {
      method: 'PUT',
      body: [{ ...shift, start: 'tomorrow' }],
    });
    expect(notIso.status).toBe(400);
    expect(sim.org.listShifts(SRE)).toEqual([{ teamSlug: SRE, ...shift }]);
    expect((await simRequest(`${control}/teams/team-nope/shifts`, { method: 'PUT', body: [] })).status).toBe(
      404,
    );

    const org = (await simRequest(`${control}/org`)).json as SimOrgSnapshot;
    expect(org).toEqual(sim.org.snapshot());
    expect(org.policies.map((p) => p.slug)).toContain(SRE_POLICY);
    expect(org.shifts).toContainEqual({ teamSlug: SRE, ...shift });

    await simRequest(`${control}/teams/${SRE}/shifts`, { method: 'PUT', body: [] });
    expect(sim.org.listShifts(SRE)).toEqual([]);
  });
});

describe('generated policies and schedules', () => {
  const now = () => new Date('2025-06-01T10:30:00Z');

  it('gives every staffed team but one a policy of its own members and rotation, and 14 days of shifts', () => {
    const org = generateOrg({ users: 300, teams: 12, seed: 42, now });
    const members = new Map<string, Set<string>>();
    for (const m of org.memberships)
      members.set(m.teamSlug, (members.get(m.teamSlug) ?? new Set()).add(m.username));
    const staffed = org.teams.filter((team) => members.has(team.slug));
    const unpoliced = org.teams[org.teams.length - 2]!;
    expect(members.has(unpoliced.slug)).toBe(true);
    expect(org.policies.map((p) => p.teamSlug)).toEqual(
      staffed.filter((team) => team !== unpoliced).map((team) => team.slug),
    );

    for (const policy of org.policies) {
      const team = org.teams.find((t) => t.slug === policy.teamSlug)!;
      const teamMembers = members.get(team.slug)!;
      expect(policy.slug).toMatch(/^pol-[A-Za-z0-9]{16}$/);
      expect(policy.name).toBe(`${team.name} Primary`);
      expect(policy.steps.length).toBeGreaterThanOrEqual(1);
      expect(policy.steps.length).toBeLessThanOrEqual(3);
      for (const step of policy.steps) {
        expect(step.entries.length).toBeGreaterThan(0);
        for (const entry of step.entries) {
          if (entry.executionType === 'user') expect(teamMembers.has(entry.username)).toBe(true);
          else if (entry.executionType === 'rotation_group') {
            expect(entry.rotationSlug).toMatch(/^rtg-[A-Za-z0-9]{12}$/);
            expect(entry.rotationLabel).toBe(`${team.name} rotation`);
          }
        }
      }

      const shifts = org.shifts.filter((shift) => shift.policySlug === policy.slug);
      expect(shifts.every((s) => s.teamSlug === team.slug && s.shiftName === 'Primary')).toBe(true);
      expect(
        shifts.every((s) => s.rotationName === `${team.name} rotation` && teamMembers.has(s.username)),
      ).toBe(true);
      expect(shifts[0]!.start).toBe('2025-06-01T00:00:00Z');
      expect(Date.parse(shifts.at(-1)!.end)).toBeGreaterThanOrEqual(now().getTime() + 14 * 86_400_000);
      for (const [i, shift] of shifts.entries()) {
        expect(Date.parse(shift.end) - Date.parse(shift.start)).toBe(86_400_000);
        if (i > 0) expect(shift.start).toBe(shifts[i - 1]!.end);
      }
      const rota = new Set(shifts.map((s) => s.username));
      expect(rota.size).toBe(Math.min(3, teamMembers.size));
    }
    const policed = new Set(org.shifts.map((s) => s.teamSlug));
    expect(policed).toEqual(new Set(org.policies.map((p) => p.teamSlug)));
  });

  it('has no policy for small orgs’ empty teams, and policies for every staffed team below 4 teams', () => {
    const org = generateOrg({ users: 30, teams: 3, seed: 5, now });
    const staffed = new Set(org.memberships.map((m) => m.teamSlug));
    expect(org.policies.map((p) => p.teamSlug)).toEqual(
      org.teams.filter((t) => staffed.has(t.slug)).map((t) => t.slug),
    );
    expect(generateOrg({ users: 0, teams: 0, seed: 1, now })).toMatchObject({ policies: [], shifts: [] });
  });

  it('is deterministic from the seed, and only the shift times follow the clock', () => {
    const a = generateOrg({ users: 300, teams: 12, seed: 42, now });
    expect(generateOrg({ users: 300, teams: 12, seed: 42, now })).toEqual(a);
    // Later the same day: the same schedule, since shifts are aligned to midnight UTC.
    expect(
      generateOrg({ users: 300, teams: 12, seed: 42, now: () => new Date('2025-06-01T23:59:00Z') }),
    ).toEqual(a);
    const nextWeek = generateOrg({
      users: 300,
      teams: 12,
      seed: 42,
      now: () => new Date('2025-06-08T10:30:00Z'),
    });
    expect(nextWeek.policies).toEqual(a.policies);
    expect(nextWeek.shifts.map((s) => s.username)).toEqual(a.shifts.map((s) => s.username));
    expect(nextWeek.shifts[0]!.start).toBe('2025-06-08T00:00:00Z');
    expect(generateOrg({ users: 300, teams: 12, seed: 43, now }).policies).not.toEqual(a.policies);
  });

  it('serves the generated org through the API and drifts policies the same way for the same seed', async () => {
    const [a, b] = await Promise.all([
      startSimulator({ users: 60, teams: 6, seed: 11, now, policyListPerMinute: 0 }),
      startSimulator({ users: 60, teams: 6, seed: 11, now, policyListPerMinute: 0 }),
    ]);
    try {
      const list = (await simRequest(`${a.url}/v1/policies`)).json as { policies: unknown[] };
      expect(list.policies).toHaveLength(a.org.listPolicies().length);
      const changes = a.applyDrift(300);
      expect(b.applyDrift(300)).toEqual(changes);
      expect(changes.some((c) => /^policy ".+" step \d+ now pages .+ instead of .+$/.test(c))).toBe(true);
      expect(b.org.snapshot().policies).toEqual(a.org.snapshot().policies);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
