/**
 * The recorded roster read back is exactly the roster that was recorded, in normalised order.
 *
 * A unit test of the poll cycle's recording and the store's read, not of the App: arbitrary rosters
 * (nulls VictorOps omits, a username's case changing) go straight into runPollCycle as its fetched
 * input, which no org served over HTTP could produce in this variety. The App's own polls against
 * the simulator are covered by test/integration/service/membership-hints.test.ts and sql-recipes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadCurrentRoster, loadCurrentTeams } from '../../../src/store/history.js';
import { aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';
import { recordRosters } from '../../helpers/record-rosters.js';

describe('loadCurrentRoster', () => {
  it('gives back the last recorded roster exactly (property)', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryRoster, arbitraryRoster, async (first, second) => {
        const store = await recordRosters([first, second]);
        try {
          expect(loadCurrentRoster(store)).toEqual(second);
        } finally {
          store.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('spells a membership’s username as the user list does after a change of case', async () => {
    const team = aTeam('team-a');
    const store = await recordRosters([
      aRoster({ users: [aUser('Ann')], teams: [team], memberships: [['Ann', 'team-a']] }),
      aRoster({ users: [aUser('ANN')], teams: [team], memberships: [['ANN', 'team-a']] }),
    ]);
    try {
      expect(loadCurrentRoster(store)?.memberships).toEqual([{ username: 'ANN', teamSlug: 'team-a' }]);
    } finally {
      store.close();
    }
  });

  it('gives the users in normalised order when SQLite’s byte order of their keys is not JavaScript’s', async () => {
    // U+FF5A sorts after a surrogate pair in UTF-16 (JavaScript) and before it in UTF-8 (SQLite).
    const deseret = '\u{10428}dam';
    const roster = aRoster({
      users: [aUser('ｚed'), aUser(deseret), aUser('ann')],
      teams: [aTeam('team-a')],
      memberships: [
        ['ｚed', 'team-a'],
        [deseret, 'team-a'],
      ],
    });
    expect(roster.users.map((u) => u.username)).toEqual(['ann', deseret, 'ｚed']);
    const store = await recordRosters([roster]);
    try {
      expect(loadCurrentRoster(store)).toEqual(roster);
    } finally {
      store.close();
    }
  });
});

describe('loadCurrentTeams', () => {
  it('gives the last recorded roster’s teams, as loadCurrentRoster does, without its users (property)', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryRoster, arbitraryRoster, async (first, second) => {
        const store = await recordRosters([first, second]);
        try {
          expect(loadCurrentTeams(store)).toEqual(second.teams);
          expect(loadCurrentTeams(store)).toEqual(loadCurrentRoster(store)?.teams);
        } finally {
          store.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('is empty before the baseline', async () => {
    const store = await recordRosters([]);
    try {
      expect(loadCurrentTeams(store)).toEqual([]);
    } finally {
      store.close();
    }
  });
});
