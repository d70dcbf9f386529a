import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyDiff, countChanges, diffRosters, diffToEvents, isEmptyDiff } from '../../../src/roster/diff.js';
import { compareText, membershipKey, normaliseRoster } from '../../../src/roster/normalise.js';
import type { Membership, Roster } from '../../../src/roster/types.js';
import { aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';

function shuffled<T>(items: T[], seed: number): T[] {
  const copy = [...items];
  let s = seed;
  for (let i = copy.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('diffRosters properties', () => {
  it('diff(a, a) is empty', () => {
    fc.assert(fc.property(arbitraryRoster, (a) => isEmptyDiff(diffRosters(a, a))));
  });

  it('applying diff(a, b) to a gives b', () => {
    fc.assert(
      fc.property(arbitraryRoster, arbitraryRoster, (a, b) => {
        expect(applyDiff(a, diffRosters(a, b))).toEqual(b);
      }),
    );
  });

  it('input order changes nothing', () => {
    // Both rosters go in shuffled and as they are: re-normalising them first would hand diffRosters
    // the very same arrays and could never catch a diff that depends on the order it is given.
    const reorder = (r: Roster, seed: number): Roster => ({
      users: shuffled(r.users, seed),
      teams: shuffled(r.teams, seed + 1),
      memberships: shuffled(r.memberships, seed + 2),
    });
    fc.assert(
      fc.property(arbitraryRoster, arbitraryRoster, fc.integer({ min: 1, max: 10_000 }), (a, b, seed) => {
        expect(diffRosters(reorder(a, seed), reorder(b, seed + 3))).toEqual(diffRosters(a, b));
      }),
    );
  });

  it('the order the API lists things in does not change the normalised roster', () => {
    fc.assert(
      fc.property(arbitraryRoster, fc.integer({ min: 1, max: 10_000 }), (b, seed) => {
        const listed = { users: shuffled(b.users, seed), teams: shuffled(b.teams, seed + 1) };
        expect(normaliseRoster({ ...listed, memberships: shuffled(b.memberships, seed + 2) })).toEqual(b);
      }),
    );
  });

  it('every change becomes exactly one event (case-only renames excepted)', () => {
    fc.assert(
      fc.property(arbitraryRoster, arbitraryRoster, (a, b) => {
        const diff = diffRosters(a, b);
        const silent = diff.usersChanged.filter((c) => c.changes.length === 0).length;
        expect(diffToEvents(diff, a, b)).toHaveLength(countChanges(diff) - silent);
      }),
    );
  });
});

/**
 * The memberships' diff by its definition: key strings (membershipKey) in maps, sorted as strings.
 * The walk compares memberships without building those strings (compareMemberships); this holds it
 * to the same lists, in the same order, with the very objects of each roster.
 */
function membershipsDiffByKeys(
  before: Roster,
  after: Roster,
): { added: Membership[]; removed: Membership[] } {
  const beforeKeys = new Map(before.memberships.map((m) => [membershipKey(m), m]));
  const afterKeys = new Map(after.memberships.map((m) => [membershipKey(m), m]));
  const sorted = (entries: [string, Membership][]) =>
    entries.sort((x, y) => compareText(x[0], y[0])).map(([, m]) => m);
  return {
    added: sorted([...afterKeys].filter(([key]) => !beforeKeys.has(key))),
    removed: sorted([...beforeKeys].filter(([key]) => !afterKeys.has(key))),
  };
}

describe('diffRosters memberships against their definition', () => {
  // A roster and an edit of it (memberships dropped and drawn again over the same users and teams,
  // names that differ only in case or beyond ASCII included), and two unrelated rosters.
  const edited = arbitraryRoster.chain((a) =>
    fc
      .tuple(
        fc.array(fc.boolean(), { minLength: a.memberships.length, maxLength: a.memberships.length }),
        arbitraryRoster,
      )
      .map(([keep, other]) => {
        const users = [...a.users, ...other.users];
        const teams = [...a.teams, ...other.teams];
        const memberships = [...a.memberships.filter((_, i) => keep[i]), ...other.memberships];
        return [a, normaliseRoster({ users, teams, memberships })] as const;
      }),
  );
  const pairs = fc.oneof(edited, fc.tuple(arbitraryRoster, arbitraryRoster));

  it('adds and removes exactly the memberships the key strings say, in their order (property)', () => {
    // The very objects: each side's position by position (identity, not equality).
    const same = (got: readonly Membership[], want: readonly Membership[]) =>
      got.length === want.length && got.every((m, i) => m === want[i]);
    fc.assert(
      fc.property(pairs, ([a, b]) => {
        const { membershipsAdded, membershipsRemoved } = diffRosters(a, b);
        const { added, removed } = membershipsDiffByKeys(a, b);
        expect(same(membershipsAdded, added) && same(membershipsRemoved, removed)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('diffRosters examples', () => {
  it('reports a key given twice in a list once, as the maps do (the walk gives up on a repeated key)', () => {
    // Not a normalised roster: the walk must see the repeat and leave it to the maps, where the last
    // of two equal keys stands for both.
    const team = aTeam('t');
    const first = { username: 'ann', teamSlug: 't' };
    const again = { username: 'ann', teamSlug: 't' };
    const ann = aUser('ann');
    const Ann = aUser('Ann');
    const before: Roster = { users: [ann, Ann], teams: [team], memberships: [first, again] };
    const after: Roster = { users: [], teams: [team], memberships: [] };
    const diff = diffRosters(before, after);
    expect(diff.usersRemoved).toEqual([Ann]);
    expect(diff.usersRemoved[0]).toBe(Ann);
    expect(diff.membershipsRemoved).toHaveLength(1);
    expect(diff.membershipsRemoved[0]).toBe(again);
  });

  const before = aRoster({
    users: [aUser('jdoe'), aUser('asmith')],
    teams: [aTeam('team-pay', 'Payments'), aTeam('team-db', 'Database')],
    memberships: [
      ['jdoe', 'team-pay'],
      ['asmith', 'team-db'],
    ],
  });

  it('reports field-level user changes with before and after', () => {
    const after = aRoster({
      users: [aUser('jdoe', { email: 'new@example.com' }), aUser('asmith')],
      teams: before.teams,
      memberships: [
        ['jdoe', 'team-pay'],
        ['asmith', 'team-db'],
      ],
    });
    const diff = diffRosters(before, after);
    expect(diff.usersChanged).toHaveLength(1);
    expect(diff.usersChanged[0]?.changes).toEqual([
      { field: 'email', before: 'jdoe@example.com', after: 'new@example.com' },
    ]);
  });

  it('gives a removed user and each of their memberships its own event', () => {
    const after = aRoster({
      users: [aUser('asmith')],
      teams: before.teams,
      memberships: [['asmith', 'team-db']],
    });
    const events = diffToEvents(diffRosters(before, after), before, after);
    expect(events.map((e) => e.type)).toEqual(['victorops.membership.removed', 'victorops.user.removed']);
    expect(events[0]?.data).toEqual({ username: 'jdoe', team: { slug: 'team-pay', name: 'Payments' } });
  });

  it('names a removed team in the membership events with its last known name', () => {
    const after = aRoster({
      users: before.users,
      teams: [aTeam('team-db', 'Database')],
      memberships: [['asmith', 'team-db']],
    });
    const events = diffToEvents(diffRosters(before, after), before, after);
    expect(events.map((e) => e.type)).toEqual(['victorops.membership.removed', 'victorops.team.removed']);
    expect(events[0]?.data).toMatchObject({ team: { name: 'Payments' } });
  });

  it('reports a team rename as team.changed', () => {
    const after = aRoster({
      users: before.users,
      teams: [aTeam('team-pay', 'Payments On-Call'), aTeam('team-db', 'Database')],
      memberships: [
        ['jdoe', 'team-pay'],
        ['asmith', 'team-db'],
      ],
    });
    const events = diffToEvents(diffRosters(before, after), before, after);
    expect(events).toEqual([
      {
        type: 'victorops.team.changed',
        subject: 'team-pay',
        data: {
          slug: 'team-pay',
          before: { slug: 'team-pay', name: 'Payments' },
          after: { slug: 'team-pay', name: 'Payments On-Call' },
          changes: [{ field: 'name', before: 'Payments', after: 'Payments On-Call' }],
        },
      },
    ]);
  });

  it('joins memberships to users case-insensitively', () => {
    const roster = aRoster({ users: [aUser('JDoe')], teams: [aTeam('t')], memberships: [['jdoe', 't']] });
    expect(roster.memberships).toEqual([{ username: 'JDoe', teamSlug: 't' }]);
  });
});
