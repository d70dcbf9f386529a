/**
 * The roster's digest (`digestRoster`, the runs table's `roster_hash`): the users' lines are joined
 * from their fingerprints rather than built one string each. Held to the digest written plainly,
 * a line per user and per team, so the runs of older builds and of this one digest alike.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digestRoster, fingerprintRoster, type RosterFingerprints } from '../../../src/roster/fingerprint.js';
import { type Roster, USER_FIELDS, type User, usernameKey } from '../../../src/roster/types.js';

/** The digest as one line per user and per team, each built on its own. */
function plainDigest(roster: Roster, prints: RosterFingerprints, hashText: (text: string) => string): string {
  const lines: string[] = [];
  for (const u of roster.users) lines.push(`u${prints.users.get(usernameKey(u.username)) ?? ''}`);
  for (const t of roster.teams)
    lines.push(`t${JSON.stringify([t.slug, t.name])}${prints.teams.get(t.slug) ?? ''}`);
  return hashText(lines.join('\n'));
}

function userNamed(username: string): User {
  const user = { username } as User;
  for (const field of USER_FIELDS) (user as unknown as Record<string, unknown>)[field] = null;
  return user;
}

// The text itself stands for its hash, so any difference in what is hashed shows.
const identity = (text: string) => text;

describe('the roster digest', () => {
  it('hashes what a line per user and per team gives, with or without the users’ keys given (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), {
          maxLength: 6,
          selector: (n) => n.toLowerCase(),
        }),
        fc.uniqueArray(fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })), {
          maxLength: 4,
          selector: ([slug]) => slug,
        }),
        // Which users and teams have a fingerprint (a missing one hashes as empty).
        fc.array(fc.option(fc.string({ maxLength: 5 }), { nil: undefined }), {
          minLength: 10,
          maxLength: 10,
        }),
        (names, teams, given) => {
          const roster: Roster = {
            users: names.map(userNamed),
            teams: teams.map(([slug, name]) => ({ slug, name })),
            memberships: [],
          };
          const users = new Map<string, string>();
          names.forEach((name, i) => {
            const print = given[i];
            if (print !== undefined) users.set(usernameKey(name), print);
          });
          const teamPrints = new Map<string, string>();
          teams.forEach(([slug], i) => {
            const print = given[9 - i];
            if (print !== undefined) teamPrints.set(slug, print);
          });
          const prints: RosterFingerprints = { users, teams: teamPrints, teamMembers: new Map() };
          const plain = plainDigest(roster, prints, identity);
          expect(digestRoster(roster, prints, identity)).toBe(plain);
          const keys = names.map((name) => usernameKey(name));
          expect(digestRoster(roster, prints, identity, keys)).toBe(plain);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reads the prints in order only for the very users fingerprinted, keys unique (property)', () => {
    // Names given twice in any case (a key twice: the map keeps the last print), and a roster that
    // is another one's users less one: neither may read the prints in the fingerprinted order.
    const names = fc.array(fc.constantFrom('ann', 'Ann', 'bob', 'BOB', 'carl', 'dee', 'é'), { maxLength: 6 });
    fc.assert(
      fc.property(names, fc.nat(6), fc.boolean(), (list, drop, other) => {
        const roster: Roster = {
          users: list.map((name, i) => ({ ...userNamed(name), email: `${i}@x` })),
          teams: [{ slug: 'team-a', name: 'A' }],
          memberships: list.map((name) => ({ username: name, teamSlug: 'team-a' })),
        };
        const prints = fingerprintRoster(roster, identity);
        const digested: Roster = other
          ? { ...roster, users: roster.users.filter((_, i) => i !== drop) }
          : roster;
        expect(digestRoster(digested, prints, identity)).toBe(plainDigest(digested, prints, identity));
        // The same prints reused for a roster with the same users array keep their order.
        const reused = fingerprintRoster(roster, identity, { roster, prints });
        expect(digestRoster(roster, reused, identity)).toBe(plainDigest(roster, prints, identity));
      }),
      { numRuns: 500 },
    );
  });
});
