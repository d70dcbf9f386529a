import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareMemberships,
  compareText,
  membershipKey,
  normaliseRoster,
} from '../../../src/roster/normalise.js';
import { mergeFailedScopes, mergeSorted } from '../../../src/roster/safety.js';
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

/** A roster and the same one with some users' names spelled in capitals (in its memberships too). */
const respelled = arbitraryRoster.chain((roster) =>
  fc.subarray(roster.users.map((u) => u.username)).map((names): [Roster, Roster] => {
    const capital = new Set(names);
    const spell = (username: string) => (capital.has(username) ? username.toUpperCase() : username);
    return [
      roster,
      normaliseRoster({
        users: roster.users.map((u) => ({ ...u, username: spell(u.username) })),
        teams: roster.teams,
        memberships: roster.memberships.map((m) => ({ ...m, username: spell(m.username) })),
      }),
    ];
  }),
);

describe('mergeFailedScopes', () => {
  it('gives carried memberships the fetched spelling, and keeps the objects already so spelled (property)', () => {
    fc.assert(
      fc.property(respelled, arbitraryRoster, scopes, ([previous, fetchedUsers], other, s) => {
        // The users as fetched (some respelled), the memberships of another roster's teams.
        const fetched = normaliseRoster({
          users: fetchedUsers.users,
          teams: other.teams,
          memberships: fetchedUsers.memberships,
        });
        const merged = mergeFailedScopes(previous, fetched, [], s.carried);
        expect(merged).toEqual(reference(previous, fetched, [], s.carried));
        const spelling = new Set(fetched.users.map((u) => u.username));
        const before = new Set(previous.memberships);
        for (const m of merged.memberships) {
          expect(spelling.has(m.username)).toBe(true);
          if (s.carried.includes(m.teamSlug) && previous.memberships.some((p) => p.username === m.username))
            expect(before.has(m)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

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

/** The merge's definition: a step-by-step walk, `a`'s first on an equal key. */
function walk(a: readonly Membership[], b: readonly Membership[]): Membership[] {
  const merged: Membership[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (compareText(membershipKey(a[i]!), membershipKey(b[j]!)) <= 0) merged.push(a[i++]!);
    else merged.push(b[j++]!);
  }
  return [...merged, ...a.slice(i), ...b.slice(j)];
}

describe('mergeSorted', () => {
  const membership = fc.record({
    username: fc.constantFrom('ann', 'Ann', 'bob', 'b', 'b\u0000a', 'Carl.X', 'dee+1', 'é', 'z'),
    teamSlug: fc.constantFrom('', 'a', 'a\u0000', 'team-a', 'team-b', 'x'),
  });
  const sorted = (list: Membership[]) =>
    [...list].sort((x, y) => compareText(membershipKey(x), membershipKey(y)));
  // Lists of any lengths, one often far shorter than the other (the galloping search's case),
  // with equal keys across and within them (distinct objects, so the order is seen).
  const lists = fc
    .tuple(fc.array(membership, { maxLength: 8 }), fc.array(membership, { maxLength: 200 }), fc.boolean())
    .map(([x, y, swap]): [Membership[], Membership[]] =>
      swap ? [sorted(y), sorted(x)] : [sorted(x), sorted(y)],
    );

  it('gives the list of the step-by-step walk, the very objects in its order (property)', () => {
    fc.assert(
      fc.property(lists, ([a, b]) => {
        const merged = mergeSorted(a, b);
        const expected = walk(a, b);
        expect(merged.length).toBe(expected.length);
        for (const [i, m] of merged.entries()) expect(m).toBe(expected[i]);
      }),
      { numRuns: 500 },
    );
  });

  it('places a few memberships among many at both ends and between', () => {
    const many = Array.from({ length: 1000 }, (_, i) => ({
      username: `u${String(i).padStart(4, '0')}`,
      teamSlug: 't',
    }));
    const few = [
      { username: 'a', teamSlug: 't' },
      { username: 'u0500', teamSlug: 's' },
      { username: 'u0500', teamSlug: 'u' },
      { username: 'zz', teamSlug: 't' },
    ];
    for (const [a, b] of [
      [few, many],
      [many, few],
    ] as const) {
      const merged = mergeSorted(a, b);
      expect(merged).toEqual(walk(a, b));
      expect(merged.map((m) => m.username).slice(0, 2)).toEqual(['a', 'u0000']);
      expect(merged[501]).toBe(few[1]);
      expect(merged[503]).toBe(few[2]);
      expect(merged.at(-1)).toBe(few[3]);
    }
  });
});

describe('compareMemberships', () => {
  // User keys that are prefixes of each other, with the separator's own character and upper case;
  // beyond ASCII a letter with its capital, one that lower-cases to two characters, and a sigma
  // (lower-cased by context), the Kelvin sign (lower-cased to ASCII 'k') and a letter past the BMP
  // with its capital; '@', '[' and '`' sit next to A-Z and a-z, so a case folding that reaches
  // one character too far misorders them (the ASCII comparison's mutations).
  const part = fc.constantFrom(
    '',
    'a',
    'A',
    'b',
    'i',
    'I',
    'k',
    'K',
    '\u212a',
    '\u{10428}',
    '\u{10400}',
    'Z',
    '\u0000',
    '\u0001',
    'é',
    'É',
    'İ',
    'Σ',
    '-',
    'z',
    '@',
    '[',
    '`',
  );
  const text = fc.array(part, { maxLength: 4 }).map((parts) => parts.join(''));
  const membership = fc.record({ username: text, teamSlug: text });

  it('orders as the membership keys do, for any two (property)', () => {
    fc.assert(
      fc.property(membership, membership, (a, b) => {
        expect(Math.sign(compareMemberships(a, b))).toBe(
          Math.sign(compareText(membershipKey(a), membershipKey(b))),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('builds the keys where a user key is a prefix of the other', () => {
    // "b" < "b\u0000a" as user keys, but the keys "b\u0000z" and "b\u0000a\u0000a" order the other way.
    const short = { username: 'b', teamSlug: 'z' };
    const long = { username: 'b\u0000a', teamSlug: 'a' };
    expect(compareMemberships(short, long)).toBeGreaterThan(0);
    expect(compareMemberships(long, short)).toBeLessThan(0);
    expect(compareMemberships({ username: 'Ann', teamSlug: 'x' }, { username: 'ann', teamSlug: 'x' })).toBe(
      0,
    );
  });
});
