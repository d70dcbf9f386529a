/**
 * What a policy poll reads of the roster for its findings (loadCurrentCoverageRoster: users'
 * username and verified flag, teams, member counts) is what the whole recorded roster gives them,
 * and the findings computed on it are the same, also where SQLite's order of the keys is not the
 * normalised one (then it is that roster, read whole).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoverageRoster, computeFindings } from '../../../src/roster/coverage.js';
import type { Roster } from '../../../src/roster/types.js';
import type { Store } from '../../../src/store/db.js';
import { loadCurrentCoverageRoster, loadCurrentRoster } from '../../../src/store/history.js';
import { aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';
import { recordRosters } from '../../helpers/record-rosters.js';

/** What coverage reads of a roster, in one shape whichever way it was read. */
function asRead(roster: CoverageRoster | Roster | null) {
  if (roster === null) return null;
  const counts = new Map<string, number>();
  if ('memberCounts' in roster) for (const [slug, n] of roster.memberCounts) counts.set(slug, n);
  else for (const m of roster.memberships) counts.set(m.teamSlug, (counts.get(m.teamSlug) ?? 0) + 1);
  return {
    users: roster.users.map((u) => ({ username: u.username, verified: u.verified })),
    teams: roster.teams,
    memberCounts: [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

const findingsOn = (roster: CoverageRoster) =>
  computeFindings({
    roster,
    policies: [],
    schedules: [],
    removedUsers: new Map(),
    now: '2026-12-07T12:00:00.000Z',
  });

function expectSameAsWhole(store: Store): void {
  const whole = loadCurrentRoster(store);
  const lean = loadCurrentCoverageRoster(store);
  expect(asRead(lean)).toEqual(asRead(whole));
  if (whole !== null && lean !== null) expect(findingsOn(lean)).toEqual(findingsOn(whole));
}

/** Runs `check` on a store with these rosters recorded, one poll each, and closes it. */
async function onRecorded(rosters: Roster[], check: (store: Store) => void): Promise<void> {
  const store = await recordRosters(rosters);
  try {
    check(store);
  } finally {
    store.close();
  }
}

describe('loadCurrentCoverageRoster', () => {
  it('reads what loadCurrentRoster gives coverage, in its order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryRoster, arbitraryRoster, (first, second) =>
        onRecorded([first, second], expectSameAsWhole),
      ),
      { numRuns: 40 },
    );
  });

  it('reads the users in normalised order when SQLite’s byte order of their keys is not JavaScript’s', async () => {
    // U+FF5A sorts after a surrogate pair in UTF-16 (JavaScript) and before it in UTF-8 (SQLite).
    const deseret = '\u{10428}dam';
    const roster = aRoster({
      users: [aUser('ｚed', { verified: false }), aUser(deseret), aUser('ann', { verified: null })],
      teams: [aTeam('team-a'), aTeam('team-b')],
      memberships: [
        ['ｚed', 'team-a'],
        [deseret, 'team-a'],
        ['ann', 'team-b'],
      ],
    });
    await onRecorded([roster], (store) => {
      const usernames = loadCurrentCoverageRoster(store)?.users.map((u) => u.username);
      expect(usernames).toEqual(['ann', deseret, 'ｚed']);
      expectSameAsWhole(store);
    });
  });

  it('counts only members who are current users of current teams, none of an empty team, and keeps verified as recorded', async () => {
    const before = aRoster({
      users: ['ann', 'bob', 'cy'].map((username) => aUser(username)),
      teams: ['team-a', 'team-b', 'team-c'].map((slug) => aTeam(slug)),
      memberships: [
        ['ann', 'team-a'],
        ['bob', 'team-a'],
        ['cy', 'team-b'],
        ['cy', 'team-c'],
      ],
    });
    // cy is removed and team-c gone: their rows are closed, and team-b is left with nobody.
    const after = aRoster({
      users: [aUser('ann', { verified: null }), aUser('bob', { verified: false })],
      teams: [aTeam('team-a'), aTeam('team-b')],
      memberships: [
        ['ann', 'team-a'],
        ['bob', 'team-a'],
      ],
    });
    await onRecorded([before, after], (store) => {
      const lean = loadCurrentCoverageRoster(store);
      expect(lean && 'memberCounts' in lean ? [...lean.memberCounts] : null).toEqual([['team-a', 2]]);
      expect(lean?.users).toEqual([
        { username: 'ann', verified: null },
        { username: 'bob', verified: false },
      ]);
      expectSameAsWhole(store);
    });
  });

  it('is null before the baseline, as loadCurrentRoster is', async () => {
    await onRecorded([], (store) => {
      expect(loadCurrentCoverageRoster(store)).toBeNull();
      expect(loadCurrentRoster(store)).toBeNull();
    });
  });
});
