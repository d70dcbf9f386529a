/**
 * The hints' leaver count (store/team-hints.ts `countLeavers`): for recorded users missing from the
 * user list, how many of each team's recorded members they are. It runs over every current user on
 * every hinted poll, so it reads the keys in one statement and prepares the per-leaver one once.
 */
import { describe, expect, it } from 'vitest';
import { loadHintState } from '../../../src/store/team-hints.js';
import { aRoster, aTeam, aUser } from '../../helpers/builders.js';
import { withPreparedSql } from '../../helpers/prepared-sql.js';
import { recordRosters } from '../../helpers/record-rosters.js';

describe('the leaver count of the membership hints', () => {
  it('counts the leavers’ recorded memberships per team with two statements, however many leave', async () => {
    const names = ['ann', 'bob', 'cy', 'dee', 'eve', 'fay'];
    const roster = aRoster({
      users: names.map((n) => aUser(n)),
      teams: [aTeam('team-a'), aTeam('team-b'), aTeam('team-c')],
      memberships: [
        ['ann', 'team-a'],
        ['bob', 'team-a'],
        ['bob', 'team-b'],
        ['cy', 'team-b'],
        ['dee', 'team-c'],
        ['eve', 'team-a'],
        ['fay', 'team-c'],
      ],
    });
    const store = await recordRosters([roster]);
    try {
      const state = loadHintState(store, { setting: 'auto', verifyIntervalMs: 3_600_000, nowMs: Date.now() });
      // ann, bob, cy, dee and eve left the org; fay is still listed.
      const { result: counts, prepared } = withPreparedSql(store, () =>
        state.countLeavers?.(new Set(['fay'])),
      );
      expect(Object.fromEntries(counts ?? [])).toEqual({ 'team-a': 3, 'team-b': 2, 'team-c': 1 });
      expect(prepared).toHaveLength(2);
      expect(state.countLeavers?.(new Set(names)).size).toBe(0);
    } finally {
      store.close();
    }
  });
});
