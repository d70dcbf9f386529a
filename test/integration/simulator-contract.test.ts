/**
 * Contract: the simulator answers every endpoint roster-watch reads in exactly the shape of the
 * real-shape fixtures (test/fixtures/victorops). A field the simulator invents or drops, or a type
 * it changes (a time without its offset form, a number for a string), fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeRotationCoverage } from '../../src/roster/rotation-coverage.js';
import { generateOrg } from '../../src/simulator/generate.js';
import { type Simulator, startSimulator } from '../../src/simulator/simulator.js';
import { scheduleFromApi } from '../../src/victorops/fetch-policies.js';
import { teamScheduleSchema } from '../../src/victorops/schemas.js';
import { compareShapes, describeShape } from '../helpers/json-shape.js';
import { simRequest } from '../helpers/sim-http.js';
import { readFixture } from '../helpers/victorops-fixtures.js';

const HOUR = 3_600_000;
let sim: Simulator;
let teamSlug: string;
let primarySlug: string;
let invitee: string;

/** One team that uses every feature the fixtures show: all entry types, an override, an empty rotation. */
beforeAll(async () => {
  const now = Date.parse('2026-11-30T06:00:00Z');
  sim = await startSimulator({ users: 6, teams: 2, seed: 3, now: () => new Date(now) });
  const org = sim.org;
  const team = org.addTeam({ name: 'Infrastructure' });
  teamSlug = team.slug;
  const jane = org.addUser({
    username: 'jane.doe',
    firstName: 'Jane',
    lastName: 'Doe',
    email: 'jane@example.com',
    verified: true,
  });
  const soren = org.addUser({
    username: 'soren+oncall',
    firstName: 'Søren',
    lastName: 'Ødegård',
    verified: true,
  });
  invitee = org.addUser({
    username: 'invited_kai.lee_8f3a',
    firstName: 'Kai',
    lastName: 'Lee',
    email: 'kai@example.com',
  }).username;
  org.addMember(team.slug, jane.username);
  org.addMember(team.slug, soren.username);
  const sun = org.addPolicy({
    name: 'Follow the sun',
    teamSlug: team.slug,
    steps: [{ timeout: 0, entries: [{ executionType: 'user', username: jane.username }] }],
  });
  const primary = org.addPolicy({
    name: 'High severity',
    teamSlug: team.slug,
    steps: [
      {
        timeout: 0,
        entries: [
          { executionType: 'rotation_group', rotationSlug: 'rtg-1', rotationLabel: 'Infra primary' },
          { executionType: 'user', username: jane.username },
          { executionType: 'user', username: soren.username },
        ],
      },
      {
        timeout: 15,
        entries: [
          { executionType: 'rotation_group_next', rotationSlug: 'rtg-1' },
          { executionType: 'rotation_group_previous', rotationSlug: 'rtg-1' },
          { executionType: 'email', address: 'infra@example.com' },
          { executionType: 'webhook', webhookSlug: 'wh-1' },
        ],
      },
      { timeout: 30, entries: [{ executionType: 'policy_routing', policySlug: sun.slug }] },
    ],
  });
  primarySlug = primary.slug;
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  org.setShifts(team.slug, [
    {
      policySlug: primary.slug,
      rotationName: 'Infra primary',
      shiftName: 'primary',
      username: jane.username,
      start: iso(now - 24 * HOUR),
      end: iso(now + 24 * HOUR),
    },
    {
      policySlug: primary.slug,
      rotationName: 'Infra primary',
      shiftName: 'primary',
      username: soren.username,
      start: iso(now + 24 * HOUR),
      end: iso(now + 7 * 24 * HOUR),
    },
    // Long past: the rotation is listed with no rolls and nobody on call, as in the fixture.
    {
      policySlug: sun.slug,
      rotationName: 'Follow the sun',
      shiftName: 'emea',
      username: jane.username,
      start: iso(now - 90 * 24 * HOUR),
      end: iso(now - 89 * 24 * HOUR),
    },
  ]);
  org.setOverrides(team.slug, [
    {
      policySlug: primary.slug,
      originalUsername: jane.username,
      overrideUsername: soren.username,
      start: iso(now - HOUR),
      end: iso(now + 3 * HOUR),
    },
  ]);
});
afterAll(async () => {
  await sim.close();
});

const get = async (path: string) => {
  const r = await simRequest(`${sim.url}${path}`);
  expect(r.status, `${path}: ${r.text}`).toBe(200);
  return r.json;
};

describe('the simulator answers in the real shapes', () => {
  it.each([
    ['v1-user.json', () => '/v1/user'],
    ['v1-team.json', () => '/v1/team'],
    ['v1-team-members.json', () => `/v1/team/${teamSlug}/members`],
    ['v1-user-teams.json', () => '/v1/user/jane.doe/teams'],
    ['v1-policies.json', () => '/v1/policies'],
    ['v1-policy-detail.json', () => `/v1/policies/${primarySlug}`],
    ['v2-team-oncall-schedule.json', () => `/v2/team/${teamSlug}/oncall/schedule?daysForward=14`],
  ])('%s', async (fixture, path) => {
    const problems = compareShapes(describeShape(readFixture(fixture)), describeShape(await get(path())));
    expect(problems).toEqual([]);
  });

  it('lists the pending invitee as a user in the v1 list', async () => {
    const body = (await get('/v1/user')) as { users: { username: string; verified: boolean }[][] };
    expect(body.users.flat().find((u) => u.username === invitee)).toMatchObject({ verified: false });
  });

  it('the comparison itself catches an invented and a dropped field', () => {
    const fixture = readFixture('v1-team-members.json') as { members: Record<string, unknown>[] };
    const changed = {
      ...fixture,
      members: fixture.members.map(({ verified: _v, ...m }) => ({ ...m, email: 'x@y' })),
    };
    expect(compareShapes(describeShape(fixture), describeShape(changed))).toEqual([
      '$.members[].email: invented',
      '$.members[].verified: dropped',
    ]);
  });
});

describe('multi-shift rotations', () => {
  it('a rotation of three shifts is three schedule[] entries under one rotationName, in the fixture shape, read back as one rotation without gaps', async () => {
    const now = Date.parse('2026-11-30T06:00:00Z');
    const team = sim.org.addTeam({ name: 'Sun' });
    const people = ['apac.ann', 'emea.bob', 'amer.cat'];
    for (const username of people) {
      sim.org.addUser({ username, firstName: username, lastName: 'Sun', verified: true });
      sim.org.addMember(team.slug, username);
    }
    const policy = sim.org.addPolicy({
      name: 'Sun primary',
      teamSlug: team.slug,
      steps: [{ timeout: 0, entries: [{ executionType: 'rotation_group', rotationSlug: 'rtg-sun' }] }],
    });
    const day0 = now - 6 * HOUR;
    const iso = (ms: number) => new Date(ms).toISOString();
    sim.org.setShifts(
      team.slug,
      Array.from({ length: 16 }, (_, d) =>
        ['apac', 'emea', 'amer'].map((shiftName, k) => ({
          policySlug: policy.slug,
          rotationName: 'Follow the sun',
          shiftName,
          username: people[k] ?? '',
          start: iso(day0 + d * 24 * HOUR + k * 8 * HOUR),
          end: iso(day0 + d * 24 * HOUR + (k + 1) * 8 * HOUR),
        })),
      ).flat(),
    );
    const body = (await get(`/v2/team/${team.slug}/oncall/schedule?daysForward=14`)) as {
      schedules: { schedule: { rotationName: string; shiftName: string }[] }[];
    };
    // Nothing invented (this team has no override, so the override fields are simply absent).
    const problems = compareShapes(
      describeShape(readFixture('v2-team-oncall-schedule.json')),
      describeShape(body),
    );
    expect(problems.filter((p) => !p.endsWith(': dropped'))).toEqual([]);
    const entries = body.schedules.flatMap((s) => s.schedule);
    expect(entries.map((e) => [e.rotationName, e.shiftName]).sort()).toEqual([
      ['Follow the sun', 'amer'],
      ['Follow the sun', 'apac'],
      ['Follow the sun', 'emea'],
    ]);
    const schedule = scheduleFromApi(teamScheduleSchema.parse(body), team);
    const coverage = computeRotationCoverage(schedule, {
      from: iso(now),
      until: iso(now + 14 * 24 * HOUR - HOUR),
    });
    expect(coverage.map((r) => [r.rotationName, r.shiftNames, r.gaps])).toEqual([
      ['Follow the sun', ['amer', 'apac', 'emea'], []],
    ]);
  });
});

describe('generated pending invitations', () => {
  it('adds invited_ users (unverified, with an email) without changing the rest of the seed', () => {
    const now = () => new Date('2026-11-30T06:00:00Z');
    const plain = generateOrg({ users: 30, teams: 4, seed: 8, now });
    const invited = generateOrg({ users: 30, teams: 4, seed: 8, now, invitees: 3 });
    const pending = invited.users.filter((u) => u.username.startsWith('invited_'));
    expect(pending).toHaveLength(3);
    for (const u of pending)
      expect(u).toMatchObject({ verified: false, email: expect.stringContaining('@') });
    expect(invited.users.filter((u) => !u.username.startsWith('invited_'))).toEqual(plain.users);
    expect(invited.memberships).toEqual(plain.memberships);
    expect(invited.policies).toEqual(plain.policies);
  });
});
