import fc from 'fast-check';
import { normaliseRoster } from '../../src/roster/normalise.js';
import type { FetchedRoster, Membership, Roster, Team, User } from '../../src/roster/types.js';

export function aUser(username: string, overrides: Partial<User> = {}): User {
  return {
    username,
    firstName: 'First',
    lastName: username,
    displayName: null,
    email: `${username}@example.com`,
    createdAt: '2024-01-01T00:00:00Z',
    passwordLastUpdated: null,
    verified: true,
    ...overrides,
  };
}

export function aTeam(slug: string, name = `Team ${slug}`): Team {
  return { slug, name };
}

export function aRoster(
  spec: { users?: User[]; teams?: Team[]; memberships?: [string, string][] } = {},
): Roster {
  const memberships: Membership[] = (spec.memberships ?? []).map(([username, teamSlug]) => ({
    username,
    teamSlug,
  }));
  return normaliseRoster({ users: spec.users ?? [], teams: spec.teams ?? [], memberships });
}

export function aFetch(roster: Roster, overrides: Partial<FetchedRoster> = {}): FetchedRoster {
  return {
    roster,
    strategy: 'team',
    failedScopes: [],
    stats: { requests: 2, retries: 0, rateLimited: 0 },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    ...overrides,
  };
}

/**
 * Usernames for the generators. VictorOps documents a username only as a string (the reference
 * gives no character set; the client encodes `.`, `+`, `@` and non-ASCII letters in paths), and
 * users are keyed by `usernameKey` (`toLowerCase`). Beside ASCII ones: spellings that share a key
 * (`ann`/`ANN`, Kelvin sign `\u212A` for `K`, `İ` whose lower case is two code units, a capital
 * sigma that lower-cases to a final `ς`, a Deseret letter whose two cases are surrogate pairs);
 * near misses that do not (`ılker`/`ilker`, `straße`/`strasse`: their upper case, `ILKER` and
 * `STRASSE`, lands on the other key); and keys whose UTF-16 order differs from SQLite's byte
 * order (`ｚed`, U+FF5A, sorts before a surrogate pair in UTF-8 and after it in UTF-16).
 */
export const USERNAMES = [
  'ann',
  'ANN',
  'Bob',
  'carl.x',
  'dee+1',
  'e@f',
  'fran_k',
  'Gus',
  'hal',
  'Kim',
  '\u212Aim',
  'İlker',
  'ılker',
  'ilker',
  'straße',
  'STRASSE',
  'ΣΟΦΙΑΣ',
  'σοφιας',
  '\u{10400}dam',
  '\u{10428}dam',
  'ｚed',
] as const;

/** Rosters drawn from a small universe so that two draws overlap and differ in every way. */
export const arbitraryRoster: fc.Arbitrary<Roster> = fc
  .record({
    users: fc.uniqueArray(
      fc.record({
        username: fc.constantFrom(...USERNAMES),
        email: fc.option(fc.constantFrom('a@x.io', 'b@x.io', 'c@x.io'), { nil: null }),
        firstName: fc.option(fc.constantFrom('Ann', 'José', 'Zoë'), { nil: null }),
        verified: fc.option(fc.boolean(), { nil: null }),
      }),
      { selector: (u) => u.username.toLowerCase(), maxLength: 8 },
    ),
    teams: fc.uniqueArray(
      fc.record({
        slug: fc.constantFrom('team-a', 'team-b', 'team-c', 'team-d'),
        name: fc.constantFrom('Ops', 'SRE', 'DB'),
      }),
      { selector: (t) => t.slug, maxLength: 4 },
    ),
    pairs: fc.array(fc.tuple(fc.nat(7), fc.nat(3)), { maxLength: 20 }),
  })
  .map(({ users, teams, pairs }) => {
    const fullUsers = users.map((u) => aUser(u.username, u));
    const memberships = pairs
      .filter(([ui, ti]) => ui < fullUsers.length && ti < teams.length)
      .map(([ui, ti]) => ({ username: fullUsers[ui]!.username, teamSlug: teams[ti]!.slug }));
    return normaliseRoster({ users: fullUsers, teams, memberships });
  });
