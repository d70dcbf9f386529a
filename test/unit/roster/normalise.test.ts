/**
 * normaliseRoster's memberships against their definition: the memberships of known users and teams,
 * spelled as the user list does, unique by key, sorted by the key string (membershipKey). The
 * roster's memberships are no longer sorted as key strings; this holds the order to it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareText,
  describeUserList,
  keyUsers,
  membershipKey,
  type NormalisedUsers,
  normaliseRoster,
  normaliseUser,
  type RecordedUsers,
} from '../../../src/roster/normalise.js';
import { type Membership, usernameKey } from '../../../src/roster/types.js';
import { aTeam, aUser } from '../../helpers/builders.js';

/** Names that are prefixes of each other, differ in case, carry spaces, the separator or non-ASCII. */
const name = fc.constantFrom(
  'ann',
  'Ann',
  ' ann ',
  'ann.b',
  'anna',
  'b',
  'b\u0000a',
  'B\u0001',
  'zoë',
  'ZOË',
  'İlker',
  'ılker',
  '😀x',
  '\uffe0',
  'ghost',
);
const slug = fc.constantFrom('a', 'a-b', 'ab', ' a ', 'team-x', '\uffe0t', 'gone');

function definition(
  users: readonly { username: string }[],
  teams: readonly string[],
  memberships: readonly Membership[],
): Membership[] {
  const byKey = new Map<string, string>();
  for (const u of users) {
    const username = u.username.trim();
    if (username !== '' && !byKey.has(usernameKey(username))) byKey.set(usernameKey(username), username);
  }
  const slugs = new Set(teams.map((t) => t.trim()));
  const kept = new Map<string, Membership>();
  for (const m of memberships) {
    const username = byKey.get(usernameKey(m.username.trim()));
    const teamSlug = m.teamSlug.trim();
    if (username === undefined || !slugs.has(teamSlug)) continue;
    kept.set(membershipKey({ username, teamSlug }), { username, teamSlug });
  }
  return [...kept.entries()].sort((a, b) => compareText(a[0], b[0])).map(([, m]) => m);
}

/**
 * The users as a known user list gives them (user-list-reader.ts lazyUsers): their recorded keys,
 * spellings and fingerprints described beside them, the users themselves never read here (their
 * getters throw).
 */
function knownList(users: readonly { username: string }[]): NormalisedUsers {
  const read = keyUsers(users.map((u) => normaliseUser(u)));
  const keys = read.users.map((u) => usernameKey(u.username));
  const recorded: RecordedUsers = {
    keys,
    names: read.users.map((u, i) => (u.username === keys[i] ? null : u.username)),
    prints: new Map(keys.map((key) => [key, `print of ${key}`])),
    verified: read.users.map(() => null),
  };
  const unread = (): never => {
    throw new Error('the known list’s users were parsed');
  };
  const list = {
    get users() {
      return unread();
    },
    get byKey() {
      return unread();
    },
    get otherSpellings() {
      return unread();
    },
  } as NormalisedUsers;
  describeUserList(list, { digest: 'digest', recorded });
  return list;
}

describe('normaliseRoster', () => {
  // The users as the list gives them (parsed), and as a known list's recorded keys (never parsed).
  it.each([
    ['parsed users', (users: ReturnType<typeof aUser>[]) => users],
    ['a known user list’s recorded keys', knownList],
  ])(
    'keeps the memberships of known users and teams, once each, in membership-key order, from %s (property)',
    (_, listOf) => {
      fc.assert(
        fc.property(
          fc.array(name, { maxLength: 10 }),
          fc.array(
            slug.filter((s) => s !== 'gone'),
            { maxLength: 5 },
          ),
          fc.array(fc.record({ username: name, teamSlug: slug }), { maxLength: 40 }),
          (names, slugs, memberships) => {
            const users = names.map((n) => aUser(n));
            const roster = normaliseRoster({
              users: listOf(users),
              teams: slugs.map((s) => aTeam(s)),
              memberships,
            });
            expect(roster.memberships).toEqual(definition(users, slugs, memberships));
          },
        ),
        { numRuns: 1000 },
      );
    },
  );

  it('places a known list’s 800 memberships by their recorded keys, spelled as recorded', () => {
    const users = Array.from({ length: 400 }, (_, i) => aUser(i % 7 === 0 ? `User.${i}` : `user.${i}`));
    const memberships = users.flatMap((u, i) => [
      { username: u.username.toUpperCase(), teamSlug: `team-${i % 5}` },
      { username: ` ${u.username} `, teamSlug: `team-${(i + 1) % 5}` },
    ]);
    const teams = Array.from({ length: 5 }, (_, i) => aTeam(`team-${i}`));
    const roster = normaliseRoster({ users: knownList(users), teams, memberships });
    expect(roster.memberships).toEqual(
      definition(
        users,
        teams.map((t) => t.slug),
        memberships,
      ),
    );
    expect(roster.memberships).toHaveLength(800);
    expect(roster.memberships[0]).toEqual({ username: 'User.0', teamSlug: 'team-0' });
  });

  it('orders a user whose name the other’s begins with by the key string, separator included', () => {
    // "b" is a prefix of "b\u0000a": the keys "b\u0000z" and "b\u0000a\u0000a" order b's membership last.
    const roster = normaliseRoster({
      users: [aUser('b'), aUser('b\u0000a'), aUser('ba')],
      teams: [aTeam('a'), aTeam('z')],
      memberships: [
        { username: 'b', teamSlug: 'z' },
        { username: 'ba', teamSlug: 'a' },
        { username: 'b\u0000a', teamSlug: 'a' },
        { username: 'b', teamSlug: 'a' },
      ],
    });
    expect(roster.memberships.map((m) => `${m.username}/${m.teamSlug}`)).toEqual([
      'b/a',
      'b\u0000a/a',
      'b/z',
      'ba/a',
    ]);
  });
});
