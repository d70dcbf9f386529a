/**
 * Records rosters one poll each through runPollCycle, as the daemon does, on a database file of
 * its own: for store tests that need a real recorded history without the App and its HTTP.
 */
import { join } from 'node:path';
import { systemClock } from '../../src/clock.js';
import { runPollCycle } from '../../src/cycles/poll-cycle.js';
import { createSilentLogger } from '../../src/logger.js';
import type { FetchedRoster, Roster } from '../../src/roster/types.js';
import { openStore, type Store } from '../../src/store/db.js';
import { aFetch } from './builders.js';
import { scratchDir } from './scratch-dir.js';

/** One poll of `fetched` on `store` through runPollCycle, with the guard that never holds. */
export async function pollOnce(store: Store, fetched: () => FetchedRoster): Promise<void> {
  await runPollCycle(
    {
      store,
      clock: systemClock,
      logger: createSilentLogger(),
      source: 'urn:test',
      destinations: [],
      guard: { maxFraction: 1, min: 1_000_000, confirmations: 1 },
      pollFailingAfter: 3,
      fetchRoster: async () => fetched(),
    },
    new AbortController().signal,
  );
}

/** The rosters recorded in order on a database in a folder removed after the test file. */
export async function recordRosters(rosters: Roster[]): Promise<Store> {
  const store = openStore(join(scratchDir('rw-rosters-'), 'db.sqlite'));
  for (const roster of rosters) await pollOnce(store, () => aFetch(roster));
  return store;
}
