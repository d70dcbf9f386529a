/**
 * The recorded roster read back is exactly the roster that was recorded, in normalised order.
 *
 * A unit test of the poll cycle's recording and the store's read, not of the App: arbitrary rosters
 * (nulls VictorOps omits, a username's case changing) go straight into runPollCycle as its fetched
 * input, which no org served over HTTP could produce in this variety. The App's own polls against
 * the simulator are covered by test/integration/service/membership-hints.test.ts and sql-recipes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { runPollCycle } from '../../../src/cycles/poll-cycle.js';
import { createSilentLogger } from '../../../src/logger.js';
import type { Roster } from '../../../src/roster/types.js';
import { openStore } from '../../../src/store/db.js';
import { loadCurrentRoster } from '../../../src/store/history.js';
import { aFetch, aRoster, arbitraryRoster, aTeam, aUser } from '../../helpers/builders.js';

async function recordAll(rosters: Roster[]) {
  const store = openStore(join(mkdtempSync(join(tmpdir(), 'rw-current-')), 'db.sqlite'));
  let next: Roster = rosters[0]!;
  const deps = {
    store,
    clock: systemClock,
    logger: createSilentLogger(),
    source: 'urn:test',
    destinations: [],
    guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
    pollFailingAfter: 3,
    fetchRoster: async () => aFetch(next),
  };
  for (const roster of rosters) {
    next = roster;
    await runPollCycle(deps, new AbortController().signal);
  }
  return store;
}

describe('loadCurrentRoster', () => {
  it('gives back the last recorded roster exactly (property)', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryRoster, arbitraryRoster, async (first, second) => {
        const store = await recordAll([first, second]);
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
    const store = await recordAll([
      aRoster({ users: [aUser('Ann')], teams: [team], memberships: [['Ann', 'team-a']] }),
      aRoster({ users: [aUser('ANN')], teams: [team], memberships: [['ANN', 'team-a']] }),
    ]);
    try {
      expect(loadCurrentRoster(store)?.memberships).toEqual([{ username: 'ANN', teamSlug: 'team-a' }]);
    } finally {
      store.close();
    }
  });
});
