/**
 * A team's fingerprint hashes its member list: its memberships' lower-cased usernames, in the
 * roster's order, one a line. fingerprintRoster makes each user's key once for its run of
 * memberships; held here to that definition, whatever the memberships' order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintRoster } from '../../../src/roster/fingerprint.js';
import { type Roster, usernameKey } from '../../../src/roster/types.js';
import { arbitraryRoster } from '../../helpers/builders.js';

const hash = (text: string) => `#${text}`;

function definedLists(roster: Roster): Map<string, string> {
  const lists = new Map<string, string>();
  for (const t of roster.teams)
    lists.set(
      t.slug,
      roster.memberships
        .filter((m) => m.teamSlug === t.slug)
        .map((m) => usernameKey(m.username))
        .join('\n'),
    );
  return lists;
}

describe('fingerprintRoster team member lists', () => {
  it('are each team’s members’ keys in the roster’s order, sorted or shuffled (property)', () => {
    fc.assert(
      fc.property(arbitraryRoster, fc.boolean(), fc.func(fc.integer()), (roster, shuffle, rank) => {
        const memberships = shuffle
          ? [...roster.memberships].sort(
              (a, b) => rank(a.username + a.teamSlug) - rank(b.username + b.teamSlug),
            )
          : roster.memberships;
        const input = { ...roster, memberships };
        const prints = fingerprintRoster(input, hash);
        const lists = definedLists(input);
        expect(prints.teamMembers).toEqual(lists);
        expect(prints.teams).toEqual(new Map([...lists].map(([slug, list]) => [slug, hash(list)])));
      }),
      { numRuns: 500 },
    );
  });
});
