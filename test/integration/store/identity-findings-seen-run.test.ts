/**
 * Issue 21: an identity sync that sees an open identity finding unchanged leaves its row alone (an
 * unchanged sync of the benchmark's org rewrote ~1,200 rows), and the last sync that saw it is
 * derived at read time from `findings.identity.seen_run`, as for coverage findings
 * (findings-seen-run.test.ts). Every reader must get what rewriting every open finding gave.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { diffIdentityFindings } from '../../../src/roster/identity-findings.js';
import type { IdentityFinding, IdentityFindingsDiff } from '../../../src/roster/identity-types.js';
import { usernameKey } from '../../../src/roster/types.js';
import { inTransaction, openStore, type Store } from '../../../src/store/db.js';
import { withSeenRuns } from '../../../src/store/findings.js';
import { loadOpenIdentityFindings, recordIdentitySync } from '../../../src/store/identity.js';
import { insertRun } from '../../../src/store/runs.js';
import { loadFindingsPage, loadOpenFindingsAbout } from '../../../src/store/ui-findings.js';
import { quietRun } from '../../helpers/run-record.js';
import * as seenRun from '../../helpers/seen-run.js';

/** A finding by number (its kind, key and user) and payload version (what a sync computed of it). */
function finding(n: number, version: number): IdentityFinding {
  const kind = n % 2 === 0 ? 'identity.inactive' : 'identity.unmatched';
  return {
    kind,
    key: `${kind}:user${n}`,
    username: `User${n}`,
    note: `version ${version}`,
  } as unknown as IdentityFinding;
}

/** What every sync wrote before: each finding it names, by one statement each. The reference. */
function recordFullRewrite(store: Store, diff: IdentityFindingsDiff, at: string): void {
  const runId = insertRun(store, quietRun('identity', at));
  seenRun.rewriteEveryRow(store, 'identity_findings', diff, runId, at, usernameKey);
}

/** A sync that read its sources fine and delivers nowhere. */
const QUIET_SYNC = {
  status: 'ok',
  error: null,
  decisions: [],
  events: [],
  stats: { requests: 0, retries: 0, rateLimited: 0 },
  source: 'urn:test',
} as const;

function recordLean(store: Store, diff: IdentityFindingsDiff, at: string): void {
  recordIdentitySync(store, {
    ...QUIET_SYNC,
    diff,
    startedAt: at,
    finishedAt: at,
    deliveries: { destinations: [], nowMs: Date.parse(at) },
  });
}

type Step =
  /** A sync that recomputes every identity finding: finding number -> payload version. */
  | { kind: 'sync'; computed: [number, number][] }
  /** A caller writing part of the family: one finding appears, or is seen alone. */
  | { kind: 'part'; n: number; version: number; seen: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('sync' as const), computed: seenRun.computedArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('part' as const), ...seenRun.partFields }) },
);

/** The diff this step makes against the store's open findings (each store its own). */
function diffOf(store: Store, step: Step): IdentityFindingsDiff | null {
  const open = loadOpenIdentityFindings(store);
  if (step.kind === 'part') {
    const f = finding(step.n, step.version);
    const isOpen = open.some((o) => o.finding.key === f.key);
    if (step.seen) return isOpen ? { appeared: [], resolved: [], still: [f] } : null;
    return isOpen ? null : { appeared: [f], resolved: [], still: [] };
  }
  const computed = new Map<string, IdentityFinding>();
  for (const [n, version] of step.computed) computed.set(finding(n, version).key, finding(n, version));
  return diffIdentityFindings(open, [...computed.values()]);
}

const EMPTY: IdentityFindingsDiff = { appeared: [], resolved: [], still: [] };

function record(store: Store, step: Step, index: number, write: typeof recordLean): void {
  inTransaction(store, () => {
    const at = new Date(Date.UTC(2026, 2, 1, 0, index)).toISOString();
    write(store, diffOf(store, step) ?? EMPTY, at);
  });
}

const allRows = (store: Store) => store.sqlite.prepare('SELECT * FROM identity_findings ORDER BY id').all();

/** docs/sql-recipes.md's query of the open identity findings and the last sync that saw each. */
const seenRecipe = seenRun.sqlRecipe(
  (sql) => sql.includes('last_seen_run_id') && sql.includes('FROM identity_findings'),
);

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function expectSameReaders(lean: Store, full: Store): void {
  for (const state of ['open', 'resolved', 'all'] as const)
    expect(loadFindingsPage(lean, { state, limit: 100 })).toEqual(
      loadFindingsPage(full, { state, limit: 100 }),
    );
  for (const username of ['User1', 'user2'])
    expect(loadOpenFindingsAbout(lean, { username })).toEqual(loadOpenFindingsAbout(full, { username }));
  expect(loadOpenIdentityFindings(lean)).toEqual(loadOpenIdentityFindings(full));
  const recipe = (store: Store) =>
    (store.sqlite.prepare(seenRecipe as string).all() as Record<string, unknown>[]).map((r) => [
      r.id,
      r.last_seen_run_id,
    ]);
  // The reference's rows hold the last sync that saw each open finding.
  expect(recipe(lean)).toEqual(
    full.sqlite
      .prepare(
        'SELECT id, last_run_id FROM identity_findings WHERE resolved_at IS NULL ORDER BY first_seen, key',
      )
      .raw()
      .all(),
  );
  // Everything but last_run_id is stored as before.
  expect(seenRun.withoutLastRun(allRows(lean))).toEqual(seenRun.withoutLastRun(allRows(full)));
}

function replay(steps: Step[]): void {
  seenRun.replayLeanAndFull(
    steps,
    (store, step, i, lean) => record(store, step, i, lean ? recordLean : recordFullRewrite),
    expectSameReaders,
  );
}

describe('open identity findings seen unchanged are not rewritten', () => {
  it('has a recipe in docs/sql-recipes.md for the last sync that saw each open identity finding', () => {
    expect(seenRecipe).toBeDefined();
  });

  it('gives every reader what rewriting every open finding gave, for any sequence of syncs', () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 14 }), replay), { numRuns: 150 });
  });

  it('leaves the row of an open finding seen unchanged alone, and rewrites one whose payload changed', () => {
    const store = openStore(':memory:');
    stores.push(store);
    const sync = (computed: [number, number][]) => record(store, { kind: 'sync', computed }, 0, recordLean);
    sync([
      [0, 0],
      [1, 0],
    ]);
    sync([
      [0, 0],
      [1, 1],
    ]);
    sync([
      [0, 0],
      [1, 1],
    ]);
    expect(
      store.sqlite.prepare('SELECT key, last_run_id AS lastRunId FROM identity_findings ORDER BY key').all(),
    ).toEqual([
      { key: 'identity.inactive:user0', lastRunId: 1 },
      { key: 'identity.unmatched:user1', lastRunId: 2 },
    ]);
    expect(withSeenRuns(store, (seen) => seen.identity)).toBe(3);
    expect(loadFindingsPage(store, { state: 'open', limit: 10 }).map((r) => r.lastRunId)).toEqual([3, 3]);
  });

  it("keys a finding's user as the users table does, so a name holding a lone surrogate finds its findings", () => {
    const store = openStore(':memory:');
    stores.push(store);
    const odd = { ...finding(0, 0), key: 'identity.inactive:odd', username: 'Odd\ud800' } as IdentityFinding;
    inTransaction(store, () =>
      recordLean(store, { appeared: [odd], resolved: [], still: [] }, '2026-03-01T00:00:00.000Z'),
    );
    const key = usernameKey('Odd\ud800');
    expect(key).toBe('odd\ufffd');
    expect(
      store.sqlite.prepare('SELECT count(*) FROM identity_findings WHERE username_key = ?').pluck().get(key),
    ).toBe(1);
  });
});
