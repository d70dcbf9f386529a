/**
 * saveTeamSchedules writes each team's snapshot through one prepared upsert (issue 21). Differential:
 * any sequence of policy runs' schedules leaves the rows that the query builder's upsert it replaced
 * (every column set on conflict) leaves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordPolicyRead } from '../../../src/bench/policy-reads.js';
import type { TeamSchedule } from '../../../src/roster/policy-types.js';
import { inTransaction, openStore, type Store } from '../../../src/store/db.js';
import { loadTeamSchedules, saveTeamSchedules } from '../../../src/store/policies.js';
import { teamSchedules } from '../../../src/store/schema.js';

/** The upsert saveTeamSchedules made before, through drizzle: the full path to compare with. */
function savedByQueryBuilder(store: Store, runId: number, atIso: string, schedules: readonly TeamSchedule[]) {
  for (const s of schedules) {
    const row = {
      teamName: s.team.name,
      shifts: JSON.stringify(s.shifts),
      rotations: s.rotations === undefined ? null : JSON.stringify(s.rotations),
      fetchedAt: atIso,
      runId,
    };
    store.db
      .insert(teamSchedules)
      .values({ teamSlug: s.team.slug, ...row })
      .onConflictDoUpdate({ target: teamSchedules.teamSlug, set: row })
      .run();
  }
}

const arbitrarySchedule: fc.Arbitrary<TeamSchedule> = fc.record(
  {
    team: fc.record({
      slug: fc.constantFrom('team-a', 'team-b', 'team-c'),
      name: fc.constantFrom('Ops', 'SRE', 'Zoë’s team'),
    }),
    shifts: fc.array(
      fc.record({
        policySlug: fc.constantFrom('pol-a', 'pol-b'),
        policyName: fc.constantFrom('Primary', 'Backup'),
        rotationName: fc.constant('Rota'),
        shiftName: fc.constant('Day'),
        username: fc.constantFrom('ann', 'bob'),
        start: fc.constantFrom('2026-12-07T00:00:00.000Z', '2026-12-08T00:00:00.000Z'),
        end: fc.constant('2026-12-09T00:00:00.000Z'),
      }),
      { maxLength: 3 },
    ),
    rotations: fc.array(
      fc.record({
        policySlug: fc.constant('pol-a'),
        policyName: fc.constantFrom('Primary', 'Renamed'),
        rotationName: fc.constant('Rota'),
        shiftName: fc.constant('Day'),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: ['team', 'shifts'] },
);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-team-schedules-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** One policy run (the rows' run_id must name one) that saves these schedules as `save` does. */
function policyRun(store: Store, hour: number, schedules: TeamSchedule[], save: typeof saveTeamSchedules) {
  const at = new Date(Date.UTC(2026, 11, 7, hour)).toISOString();
  const runId = recordPolicyRead(store, at, []);
  inTransaction(store, () => save(store, runId, at, schedules));
}

describe('saveTeamSchedules', () => {
  it('leaves the rows the query builder’s upsert left (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(arbitrarySchedule, { maxLength: 4 }), { maxLength: 5 }), (runs) => {
        const prepared = openStore(join(dir, `prepared-${Math.random()}.sqlite`));
        const built = openStore(join(dir, `built-${Math.random()}.sqlite`));
        try {
          runs.forEach((schedules, hour) => {
            policyRun(prepared, hour, schedules, saveTeamSchedules);
            policyRun(built, hour, schedules, savedByQueryBuilder);
          });
          const all = (s: Store) =>
            s.sqlite.prepare('SELECT rowid, * FROM team_schedules ORDER BY rowid').all();
          expect(all(prepared)).toEqual(all(built));
          expect(loadTeamSchedules(prepared)).toEqual(loadTeamSchedules(built));
        } finally {
          prepared.close();
          built.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
