/**
 * A hinted changed poll records mergeFailedScopes(previous, fetched, …) and fingerprints it reusing
 * the fetched roster's team prints (teams read) and the previous roster's known ones (teams not
 * read): those must be exactly what a from-scratch fingerprintRoster of the merge gives, or the
 * next poll compares against wrong stored fingerprints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintRoster, type KnownTeamPrints } from '../../../src/roster/fingerprint.js';
import { normaliseRoster } from '../../../src/roster/normalise.js';
import { mergeFailedScopes } from '../../../src/roster/safety.js';
import type { FailedScope, Membership, Roster } from '../../../src/roster/types.js';
import { arbitraryRoster } from '../../helpers/builders.js';

// Injective, so equal prints mean equal texts.
const hash = (text: string) => `#${text}`;

/**
 * A roster before and a fetch of it: some users gone, some respelled in capitals, others added
 * (from another roster), teams and memberships partly the other roster's; so carried teams lose
 * members and read teams differ from before.
 */
const beforeAndFetched = fc
  .tuple(arbitraryRoster, arbitraryRoster, fc.func(fc.nat(3)), fc.boolean())
  .map(([previous, other, pick, sameTeams]): [Roster, Roster] => {
    // 0: gone, 1: kept, 2: respelled, 3: kept.
    const fate = (name: string) => pick(name);
    const spell = (name: string) => (fate(name) === 2 ? name.toUpperCase() : name);
    const users = [
      ...previous.users
        .filter((u) => fate(u.username) !== 0)
        .map((u) => ({ ...u, username: spell(u.username) })),
      ...other.users,
    ];
    const memberships = [
      ...previous.memberships
        .filter((m) => fate(m.username) !== 0 && fate(`${m.username}/${m.teamSlug}`) !== 0)
        .map((m) => ({ ...m, username: spell(m.username) })),
      ...other.memberships,
    ];
    return [
      previous,
      normaliseRoster({ users, teams: sameTeams ? previous.teams : other.teams, memberships }),
    ];
  });

const slugs = ['team-a', 'team-b', 'team-c', 'team-d'];
const scopes = fc.record({
  carried: fc.subarray(slugs),
  failedTeams: fc.subarray(slugs),
  failedUsers: fc.subarray(['ann', 'Bob', 'carl.x', 'hal']),
  // Teams whose prints before are not known (their stored list was not trusted): grouped instead.
  unknown: fc.subarray(slugs),
});

function knownOf(previous: Roster, unknown: readonly string[]): KnownTeamPrints {
  const prints = fingerprintRoster(previous, hash);
  const teams: KnownTeamPrints['teams'] = new Map();
  for (const [slug, fingerprint] of prints.teams)
    if (!unknown.includes(slug)) teams.set(slug, { fingerprint, list: prints.teamMembers.get(slug)! });
  return { memberships: previous.memberships, teams };
}

/** The same users and teams fetched again, with these memberships. */
function refetched(previous: Roster, memberships: Membership[]): Roster {
  return normaliseRoster({ users: previous.users, teams: previous.teams, memberships });
}

/** The merge of the scopes, fingerprinted with the reuse a poll passes. */
function mergedPrints(previous: Roster, fetched: Roster, failed: FailedScope[], carried: string[]) {
  return fingerprintRoster(mergeFailedScopes(previous, fetched, failed, carried), hash, {
    roster: fetched,
    prints: fingerprintRoster(fetched, hash),
    known: knownOf(previous, []),
    merged: { failed, carried },
  });
}

describe('fingerprintRoster of a merge of failed or carried scopes', () => {
  it('gives the fingerprints computed from scratch, teams read, carried or failed, members gone or not (property)', () => {
    fc.assert(
      fc.property(beforeAndFetched, scopes, ([previous, fetched], s) => {
        const failed: FailedScope[] = [
          ...s.failedTeams.map((teamSlug) => ({ kind: 'team-members' as const, teamSlug, reason: 'x' })),
          ...s.failedUsers.map((username) => ({ kind: 'user-teams' as const, username, reason: 'x' })),
        ];
        const merged = mergeFailedScopes(previous, fetched, failed, s.carried);
        const fetchedPrints = fingerprintRoster(fetched, hash);
        const reused = fingerprintRoster(merged, hash, {
          roster: fetched,
          prints: fetchedPrints,
          known: knownOf(previous, s.unknown),
          merged: { failed, carried: s.carried },
        });
        expect(reused).toEqual(fingerprintRoster(merged, hash));
      }),
      { numRuns: 500 },
    );
  });

  it('hashes a carried team again when a member of it is no longer a user', () => {
    const previous = normaliseRoster({
      users: [{ username: 'ann' }, { username: 'bob' }],
      teams: [{ slug: 'team-a', name: 'A' }],
      memberships: [
        { username: 'ann', teamSlug: 'team-a' },
        { username: 'bob', teamSlug: 'team-a' },
      ],
    });
    const fetched = normaliseRoster({
      users: [{ username: 'ann' }],
      teams: [{ slug: 'team-a', name: 'A' }],
      memberships: [],
    });
    const reused = mergedPrints(previous, fetched, [], ['team-a']);
    expect(reused.teams.get('team-a')).toBe('#ann');
    expect(reused.teamMembers.get('team-a')).toBe('ann');
  });

  it('takes a failed team from before, not from the fetch, and a read team from the fetch', () => {
    const previous = normaliseRoster({
      users: [{ username: 'ann' }, { username: 'bob' }],
      teams: [
        { slug: 'team-a', name: 'A' },
        { slug: 'team-b', name: 'B' },
      ],
      memberships: [
        { username: 'ann', teamSlug: 'team-a' },
        { username: 'bob', teamSlug: 'team-b' },
      ],
    });
    const fetched = refetched(previous, [{ username: 'bob', teamSlug: 'team-a' }]);
    const failed: FailedScope[] = [{ kind: 'team-members', teamSlug: 'team-b', reason: 'x' }];
    const reused = mergedPrints(previous, fetched, failed, []);
    expect(Object.fromEntries(reused.teamMembers)).toEqual({ 'team-a': 'bob', 'team-b': 'bob' });
  });

  it("regroups every team when a user's memberships failed (they cross teams read)", () => {
    const previous = normaliseRoster({
      users: [{ username: 'ann' }, { username: 'bob' }],
      teams: [{ slug: 'team-a', name: 'A' }],
      memberships: [{ username: 'ann', teamSlug: 'team-a' }],
    });
    const fetched = refetched(previous, [{ username: 'bob', teamSlug: 'team-a' }]);
    const failed: FailedScope[] = [{ kind: 'user-teams', username: 'ann', reason: 'x' }];
    const reused = mergedPrints(previous, fetched, failed, []);
    expect(reused.teamMembers.get('team-a')).toBe('ann\nbob');
  });

  it('takes nothing from the fetch for a roster that is not the merge (a held poll records the one before)', () => {
    fc.assert(
      fc.property(beforeAndFetched, scopes, ([previous, fetched], s) => {
        const known = knownOf(previous, s.unknown);
        // Equal memberships, other objects: the known prints are not taken as the roster's own.
        const copy = { ...known, memberships: previous.memberships.map((m) => ({ ...m })) };
        const reused = fingerprintRoster(previous, hash, {
          roster: fetched,
          prints: fingerprintRoster(fetched, hash),
          known: copy,
          merged: { failed: [], carried: s.carried },
        });
        expect(reused).toEqual(fingerprintRoster(previous, hash));
      }),
      { numRuns: 300 },
    );
  });
});
