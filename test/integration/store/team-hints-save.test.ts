/**
 * Saving the hints of a poll (store/team-hints.ts `saveFetchedHints`): the teams read get their
 * listed version, member count, read time and run; carried teams keep their row; teams no longer
 * listed are forgotten. A changed poll reads most teams, so the statements are prepared once,
 * however many teams were read (issue 21).
 */
import { describe, expect, it } from 'vitest';
import type { FetchedHints } from '../../../src/roster/types.js';
import { loadStoredHints, saveFetchedHints } from '../../../src/store/team-hints.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { withPreparedSql } from '../../helpers/prepared-sql.js';
import { recordRosters } from '../../helpers/record-rosters.js';

const slugs = Array.from({ length: 30 }, (_, i) => `team-${String(i).padStart(2, '0')}`);

function hintsOf(read: string[], listed: string[], version: number): FetchedHints {
  return {
    listed: listed.map((slug, i) => ({ slug, version, memberCount: i === 0 ? null : i })),
    read,
    carried: listed.filter((s) => !read.includes(s)),
    verified: [],
  };
}

describe('saving the membership hints of a poll', () => {
  it('writes the teams read, keeps the carried ones, forgets the unlisted, with three statements', async () => {
    const store = await recordRosters([
      aRoster({ users: [aUser('ann')], teams: slugs.map((s) => aTeam(s)), memberships: [] }),
    ]);
    try {
      const runId = store.sqlite
        .prepare("SELECT MAX(id) FROM runs WHERE kind = 'roster'")
        .pluck()
        .get() as number;
      saveFetchedHints(store, hintsOf(slugs, slugs, 1), runId, 1_000);
      expect(loadStoredHints(store).size).toBe(30);
      // Later: 20 teams read again, 5 carried, 5 gone from the team list.
      const listed = slugs.slice(0, 25);
      const { prepared } = withPreparedSql(store, () =>
        saveFetchedHints(store, hintsOf(slugs.slice(0, 20), listed, 2), runId, 2_000),
      );
      expect(prepared).toHaveLength(3);
      const stored = loadStoredHints(store);
      expect([...stored.keys()].sort()).toEqual(listed);
      expect(stored.get('team-00')).toEqual({
        slug: 'team-00',
        version: 2,
        memberCount: null,
        readAtMs: 2_000,
      });
      expect(stored.get('team-19')).toEqual({
        slug: 'team-19',
        version: 2,
        memberCount: 19,
        readAtMs: 2_000,
      });
      expect(stored.get('team-20')).toEqual({
        slug: 'team-20',
        version: 1,
        memberCount: 20,
        readAtMs: 1_000,
      });
    } finally {
      store.close();
    }
  });
});
