/** The exposure index built for the users with a finding alone (issue 21) answers as the full one. */
import { describe, expect, it } from 'vitest';
import { indexExposure } from '../../../src/roster/identity-exposure.js';
import type { Policy, TeamSchedule } from '../../../src/roster/policy-types.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';

const pay = aTeam('team-pay', 'Payments');
const ops = aTeam('team-ops', 'Ops');
const pagedUsers = ['jdoe', 'ann'].map((username) => ({ kind: 'user' as const, username }));
const policies: Policy[] = [
  {
    slug: 'pol-pay',
    name: 'Payments primary',
    teamSlug: 'team-pay',
    steps: [{ index: 1, timeout: 5, entries: pagedUsers }],
  },
];
const shift = (username: string, start: string) => ({
  policySlug: 'pol-ops',
  policyName: 'Ops rota',
  rotationName: 'Weekly',
  shiftName: 'Day',
  username,
  start,
  end: '2026-03-09T09:00:00.000Z',
});
const schedules: TeamSchedule[] = [
  {
    team: ops,
    shifts: [shift('JDoe', '2026-03-06T09:00:00.000Z'), shift('ann', '2026-03-07T09:00:00.000Z')],
  },
];
const input = {
  roster: aRoster({
    users: [aUser('jdoe'), aUser('ann'), aUser('bob')],
    teams: [pay, ops],
    memberships: [
      ['jdoe', 'team-pay'],
      ['jdoe', 'team-ops'],
      ['ann', 'team-pay'],
      ['bob', 'team-ops'],
    ],
  }),
  policies,
  schedules,
  now: '2026-03-04T10:00:00.000Z',
};

describe('the exposure index for some users only', () => {
  it('answers the full index’s exposure for the users it was built for, and none for the others', () => {
    const full = indexExposure(input);
    const some = indexExposure(input, new Set(['jdoe']));
    expect(full('JDoe').teams.map((t) => t.slug)).toEqual(['team-ops', 'team-pay']);
    expect(some('JDoe')).toEqual(full('JDoe'));
    expect(full('ann').shiftCount).toBe(1);
    expect(some('ann')).toEqual({ teams: [], policies: [], shifts: [], shiftCount: 0 });
    expect(some('bob')).toEqual({ teams: [], policies: [], shifts: [], shiftCount: 0 });
  });
});
