/**
 * Issue 21: a run that sees an open coverage finding unchanged leaves its row alone, and the last
 * run that saw it is derived at read time (findings.ts). Every reader must get what the full
 * rewrite (every run rewrote every open finding it saw) gave: the rows, the open findings the
 * cycles diff against, and the web view's findings lists with their "#first → #last" runs.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { diffFindings } from '../../../src/roster/coverage.js';
import { type Finding, type FindingsDiff, REACH_KINDS } from '../../../src/roster/coverage-types.js';
import { inTransaction, openStore, type Store } from '../../../src/store/db.js';
import { applyFindingsDiff, loadOpenFindings, withSeenRuns } from '../../../src/store/findings.js';
import { insertRun } from '../../../src/store/runs.js';
import { loadFindingsPage, loadOpenFindingsAbout } from '../../../src/store/ui-findings.js';
import { createTempStore } from '../../helpers/delivery-fixtures.js';
import { quietRun } from '../../helpers/run-record.js';
import {
  computedArb,
  partFields,
  replayLeanAndFull,
  rewriteEveryRow,
  sqlRecipe,
  withoutLastRun,
} from '../../helpers/seen-run.js';

const COVERAGE_KINDS = ['team_without_policy', 'nobody_on_call'] as const;
const REACH = ['unreachable_on_call', 'email_only_paging'] as const;
const isReach = (kind: string) => (REACH as readonly string[]).includes(kind);

/** A finding by number (its kind and key) and payload version (what a run computed of it). */
function finding(n: number, version: number): Finding {
  const kinds = n % 2 === 0 ? COVERAGE_KINDS : REACH;
  const kind = kinds[n % 4 < 2 ? 0 : 1] as string;
  return {
    kind,
    key: `${kind}:f${n}`,
    username: `user${n % 3}`,
    team: { slug: `team${n % 2}`, name: `Team ${n % 2}` },
    note: `version ${version}`,
  } as unknown as Finding;
}

/** The full rewrite every run did before: the reference the short-cut must equal. */
function applyFullRewrite(store: Store, diff: FindingsDiff, runId: number, at: string): void {
  rewriteEveryRow(store, 'findings', diff, runId, at);
}

type Step =
  /** A run that recomputes one family whole: finding number -> payload version. */
  | { kind: 'run'; reach: boolean; computed: [number, number][] }
  /**
   * A caller writing part of a family (as the test histories do): one finding appears, or is seen
   * (with `both`, also an open finding of the other family, so the keys named can number as many
   * as the family's open ones without being them).
   */
  | { kind: 'part'; n: number; version: number; seen: boolean; both: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('run' as const), reach: fc.boolean(), computed: computedArb }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('part' as const), ...partFields, both: fc.boolean() }),
  },
);

/** The diff this step makes against the store's open findings (each store its own). */
function diffOf(store: Store, step: Step): FindingsDiff | null {
  const open = loadOpenFindings(store);
  if (step.kind === 'part') {
    const f = finding(step.n, step.version);
    const isOpen = open.some((o) => o.finding.key === f.key);
    const other = step.both ? open.find((o) => isReach(o.finding.kind) !== isReach(f.kind)) : undefined;
    if (step.seen)
      return isOpen ? { appeared: [], resolved: [], still: other ? [f, other.finding] : [f] } : null;
    return isOpen ? null : { appeared: [f], resolved: [], still: [] };
  }
  const computed = new Map<string, Finding>();
  for (const [n, version] of step.computed) {
    const f = finding(n, version);
    if (isReach(f.kind) === step.reach) computed.set(f.key, f);
  }
  return diffFindings(
    open.filter((o) => isReach(o.finding.kind) === step.reach),
    [...computed.values()],
  );
}

function record(store: Store, step: Step, index: number, apply: typeof applyFindingsDiff): void {
  inTransaction(store, () => {
    const at = new Date(Date.UTC(2026, 2, 1, 0, index)).toISOString();
    const runId = insertRun(store, quietRun(step.kind === 'run' && !step.reach ? 'policy' : 'roster', at));
    const diff = diffOf(store, step);
    if (diff) apply(store, diff, runId, at);
  });
}

const allRows = (store: Store) => store.sqlite.prepare('SELECT * FROM findings ORDER BY id').all();

/** docs/sql-recipes.md's query of the open findings and the last run that saw each. */
const seenRecipe = sqlRecipe((sql) => sql.includes('last_seen_run_id'));

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

/** What every reader gets from the lean store must be what it got from the full rewrite's. */
function expectSameReaders(lean: Store, full: Store): void {
  // The reference store's rows are what every reader read: last_run_id as stored.
  expect(loadOpenFindings(lean)).toEqual(loadOpenFindings(full));
  for (const state of ['open', 'resolved', 'all'] as const)
    expect(loadFindingsPage(lean, { state, limit: 100 })).toEqual(
      loadFindingsPage(full, { state, limit: 100 }),
    );
  for (const about of [{ username: 'user1' }, { teamSlug: 'team0' }])
    expect(loadOpenFindingsAbout(lean, about)).toEqual(loadOpenFindingsAbout(full, about));
  const recipe = (store: Store) =>
    (store.sqlite.prepare(seenRecipe as string).all() as Record<string, unknown>[]).map((r) => [
      r.id,
      r.last_seen_run_id,
    ]);
  expect(recipe(lean)).toEqual(loadOpenFindings(full).map((o) => [o.id, o.lastRunId]));
  // Everything but last_run_id is stored as before.
  expect(withoutLastRun(allRows(lean))).toEqual(withoutLastRun(allRows(full)));
}

/** Records the steps in a store of each kind, comparing the readers after every run. */
function replay(steps: Step[]): void {
  replayLeanAndFull(
    steps,
    (store, step, i, lean) => record(store, step, i, lean ? applyFindingsDiff : applyFullRewrite),
    expectSameReaders,
  );
}

describe('open findings seen unchanged are not rewritten', () => {
  it('gives every reader what rewriting every open finding gave, for any sequence of runs', () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 14 }), replay), { numRuns: 150 });
  });

  it('leaves the row of an open finding seen unchanged alone, and rewrites one whose payload changed', () => {
    const store = openStore(':memory:');
    stores.push(store);
    const run = (computed: [number, number][]) =>
      record(store, { kind: 'run', reach: false, computed }, 0, applyFindingsDiff);
    run([
      [0, 0],
      [2, 0],
    ]);
    run([
      [0, 0],
      [2, 1],
    ]);
    run([
      [0, 0],
      [2, 1],
    ]);
    const stored = store.sqlite
      .prepare('SELECT key, last_run_id AS lastRunId FROM findings ORDER BY key')
      .all() as { key: string; lastRunId: number }[];
    // f0 unchanged since run 1, f2 changed by run 2: their rows say so; the readers say run 3 saw both.
    expect(stored).toEqual([
      { key: 'nobody_on_call:f2', lastRunId: 2 },
      { key: 'team_without_policy:f0', lastRunId: 1 },
    ]);
    expect(loadOpenFindings(store).map((o) => o.lastRunId)).toEqual([3, 3]);
  });

  it('reads the seen runs and the rows of one commit, though a poll commits between the two reads', () => {
    const temp = createTempStore();
    const reader = openStore(temp.path);
    stores.push(reader);
    try {
      const run = (computed: [number, number][]) =>
        record(temp.store, { kind: 'run', reach: false, computed }, 0, applyFindingsDiff);
      run([
        [0, 0],
        [2, 0],
      ]);
      const [seen, rows] = withSeenRuns(reader, (seenRuns) => {
        // Run 2 sees f0 unchanged (the row stays at run 1, the seen run moves) and changes f2.
        run([
          [0, 0],
          [2, 1],
        ]);
        return [seenRuns, reader.sqlite.prepare('SELECT key, last_run_id FROM findings ORDER BY key').all()];
      });
      // Both of run 1's commit: read apart, the rows would be run 2's and the seen run 1's, and
      // f0 would read as last seen by run 1 in a history where run 2 saw it.
      expect(seen.coverage).toBe(1);
      expect(rows).toEqual([
        { key: 'nobody_on_call:f2', last_run_id: 1 },
        { key: 'team_without_policy:f0', last_run_id: 1 },
      ]);
      expect(loadOpenFindings(reader).map((o) => o.lastRunId)).toEqual([2, 2]);
    } finally {
      temp.cleanup();
    }
  });

  it("names in the SQL recipe and in this test's reach kinds exactly the code's REACH_KINDS", () => {
    // A reach kind added to the code and not to the recipe would read the coverage family's seen run.
    const listed = /f\.kind IN \(([^)]*)\)/.exec(seenRecipe as string)?.[1];
    const kinds = [...(listed ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
    expect(new Set(kinds)).toEqual(new Set(REACH_KINDS));
    expect(new Set(REACH)).toEqual(new Set(REACH_KINDS));
  });

  it("does not move an identity finding's last run with the coverage findings' seen run", () => {
    const store = openStore(':memory:');
    stores.push(store);
    const run = (computed: [number, number][]) =>
      record(store, { kind: 'run', reach: false, computed }, 0, applyFindingsDiff);
    run([[0, 0]]);
    // An identity finding last seen by run 1: its family's seen run is the identity syncs' own.
    store.sqlite
      .prepare(
        `INSERT INTO identity_findings (key, kind, username_key, data, first_seen, first_run_id, last_run_id)
         VALUES ('identity.leaver:user1', 'identity.leaver', 'user1', '{"username":"user1"}', ?, 1, 1)`,
      )
      .run(new Date(Date.UTC(2026, 2, 1)).toISOString());
    run([[0, 0]]);
    run([[0, 0]]);
    expect(withSeenRuns(store, (seen) => seen.coverage)).toBe(3);
    const page = loadFindingsPage(store, { state: 'open', limit: 100 });
    expect(page.map((r) => [r.family, r.lastRunId])).toEqual(
      expect.arrayContaining([
        ['coverage', 3],
        ['identity', 1],
      ]),
    );
    expect(
      loadOpenFindingsAbout(store, { username: 'user1' }).find((r) => r.family === 'identity')?.lastRunId,
    ).toBe(1);
  });
});
