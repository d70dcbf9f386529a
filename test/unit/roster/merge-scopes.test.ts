import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { membershipKey, normaliseRoster } from '../../../src/roster/normalise.js';
import { mergeFailedScopes } from '../../../src/roster/safety.js';
import { type FailedScope, type Membership, type Roster, usernameKey } from '../../../src/roster/types.js';
import { arbitraryRoster } from '../../helpers/builders.js';

/** The definition: the fetched roster, with failed or carried scopes' memberships taken from before. */
function reference(previous: Roster, fetched: Roster, failed: FailedScope[], carried: string[]): Roster {
  const users = new Set(failed.flatMap((s) => (s.kind === 'user-teams' ? [usernameKey(s.username)] : [])));
  const teams = new Set([
    ...carried,
    ...failed.flatMap((s) => (s.kind === 'team-members' ? [s.teamSlug] : [])),
  ]);
  const inScope = (m: Membership) => users.has(usernameKey(m.username)) || teams.has(m.teamSlug);
  const memberships = new Map<string, Membership>();
  for (const m of [
    ...fetched.memberships.filter((m) => !inScope(m)),
    ...previous.memberships.filter(inScope),
  ])
    memberships.set(membershipKey(m), m);
  return normaliseRoster({
    users: fetched.users,
    teams: fetched.teams,
    memberships: [...memberships.values()],
  });
}

const scopes = fc.record({
  users: fc.subarray(['ann', 'Bob', 'carl.x', 'dee+1', 'e@f', 'fran_k', 'Gus', 'hal']),
  teams: fc.subarray(['team-a', 'team-b', 'team-c', 'team-d']),
  carried: fc.subarray(['team-a', 'team-b', 'team-c', 'team-d']),
});

describe('mergeFailedScopes', () => {
  it('equals its definition for any rosters and failed or carried scopes (property)', () => {
    fc.assert(
      fc.property(arbitraryRoster, arbitraryRoster, scopes, (previous, fetched, s) => {
        const failed: FailedScope[] = [
          ...s.users.map((username) => ({ kind: 'user-teams' as const, username, reason: 'x' })),
          ...s.teams.map((teamSlug) => ({ kind: 'team-members' as const, teamSlug, reason: 'x' })),
        ];
        expect(mergeFailedScopes(previous, fetched, failed, s.carried)).toEqual(
          reference(previous, fetched, failed, s.carried),
        );
      }),
      { numRuns: 300 },
    );
  });
});
