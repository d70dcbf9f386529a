import { describe, expect, it } from 'vitest';
import { computeFindings } from '../../../src/roster/coverage.js';
import { describeFinding } from '../../../src/roster/coverage-events.js';
import { applyOverrides } from '../../../src/roster/on-call.js';
import type { Policy, Shift, TeamSchedule } from '../../../src/roster/policy-types.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';

const team = aTeam('team-a', 'Alpha');
const rotation = { policySlug: 'pol-1', policyName: 'Primary', rotationName: 'R', shiftName: 'S' };
const shift = (username: string, start: string, end: string): Shift => ({
  ...rotation,
  username,
  start,
  end,
});
const t = (day: number, hour = 0) => new Date(Date.UTC(2026, 2, day, hour)).toISOString();

describe('applyOverrides', () => {
  const rolls = [shift('ann', t(1), t(2)), shift('bob', t(2), t(3))];

  it('splits the covered part of a shift off to the person covering, keeping whose shift it was', () => {
    const result = applyOverrides(rolls, [
      { originalUsername: 'ANN', overrideUsername: 'cat', start: t(1, 6), end: t(1, 12) },
    ]);
    expect(result.map((s) => [s.username, s.start, s.end, s.overrideFor ?? null])).toEqual([
      ['ann', t(1), t(1, 6), null],
      ['cat', t(1, 6), t(1, 12), 'ann'],
      ['ann', t(1, 12), t(2), null],
      ['bob', t(2), t(3), null],
    ]);
    // ann's two parts remember the one roll they come from; the cover is cat's own.
    expect(result.map((s) => s.roll ?? null)).toEqual([
      { start: t(1), end: t(2) },
      null,
      { start: t(1), end: t(2) },
      null,
    ]);
  });

  it('an override across a roll boundary covers only the original user’s part; an empty one changes nothing', () => {
    const across = applyOverrides(rolls, [
      { originalUsername: 'bob', overrideUsername: 'cat', start: t(1, 20), end: t(2, 4) },
    ]);
    expect(across.map((s) => [s.username, s.start, s.end])).toEqual([
      ['ann', t(1), t(2)],
      ['cat', t(2), t(2, 4)],
      ['bob', t(2, 4), t(3)],
    ]);
    expect(
      applyOverrides(rolls, [
        { originalUsername: 'ann', overrideUsername: 'cat', start: t(1, 5), end: t(1, 5) },
      ]),
    ).toEqual(rolls);
  });
});

describe('findings about people who cannot be paged', () => {
  const policy: Policy = {
    slug: 'pol-1',
    name: 'Primary',
    teamSlug: 'team-a',
    steps: [
      { index: 1, timeout: 0, entries: [{ kind: 'user', username: 'invited_ivy' }] },
      { index: 2, timeout: 5, entries: [{ kind: 'policy', policySlug: 'pol-gone' }] },
    ],
  };
  const roster = aRoster({
    users: [
      aUser('ann', { verified: false }),
      aUser('bob', { verified: null }),
      aUser('invited_ivy', { verified: false }),
    ],
    teams: [team],
    memberships: [
      ['ann', 'team-a'],
      ['bob', 'team-a'],
    ],
  });
  const schedule: TeamSchedule = {
    team,
    shifts: [shift('ann', t(1), t(2)), shift('bob', t(2), t(20))],
    rotations: [rotation],
    fetchedAt: t(1, 1),
  };
  const findings = computeFindings({
    roster,
    policies: [policy],
    schedules: [schedule],
    removedUsers: new Map(),
    now: t(1, 1),
    daysForward: 14,
  });

  it('unverified_on_call for an unverified user on call and an invitee paged directly; verified: null is not unverified', () => {
    const unverified = findings.filter((f) => f.kind === 'unverified_on_call');
    expect(unverified.map((f) => f.key)).toEqual([
      'unverified_on_call:ann',
      'unverified_on_call:invited_ivy',
    ]);
    expect(unverified[0]).toMatchObject({
      pending: false,
      shifts: 1,
      pagedBy: [],
      shift: { start: t(1), end: t(2) },
    });
    expect(unverified[1]).toMatchObject({
      pending: true,
      shifts: 0,
      shift: null,
      pagedBy: [{ slug: 'pol-1', steps: [1] }],
    });
  });

  it('nobody_on_call stops at the end of what was read, and policy_routing to a missing policy dangles', () => {
    // bob covers until day 20, beyond the window: no gap.
    expect(findings.filter((f) => f.kind === 'nobody_on_call')).toEqual([]);
    const shortened = computeFindings({
      roster,
      policies: [policy],
      schedules: [{ ...schedule, shifts: [shift('ann', t(1), t(2)), shift('bob', t(5), t(20))] }],
      removedUsers: new Map(),
      now: t(1, 1),
    });
    const nobody = shortened.find((f) => f.kind === 'nobody_on_call');
    expect(nobody).toMatchObject({ start: t(2), end: t(5), windows: 1, rotation: 'R', shifts: ['S'] });
    expect(describeFinding(nobody!)).toBe(
      "Nobody is on call for team Alpha, rotation 'R' (policy 'Primary'; shift 'S'), from 2026-03-02 00:00 UTC to 2026-03-05 00:00 UTC: add someone to the rotation or an override for that time.",
    );
    const dangling = findings.find((f) => f.kind === 'dangling_reference');
    expect(dangling).toMatchObject({
      key: 'dangling_reference:pol-1:2:policy:pol-gone',
      username: null,
      targetPolicy: 'pol-gone',
    });
  });
});
