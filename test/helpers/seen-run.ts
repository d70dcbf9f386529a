/**
 * Shared by the seen-run tests (coverage and identity findings, issue 21): a store that leaves
 * unchanged finding rows alone is replayed beside one that rewrites every row, and compared.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { openStore, type Store } from '../../src/store/db.js';

/** The first SQL block of docs/sql-recipes.md that `wanted` accepts. */
export function sqlRecipe(wanted: (sql: string) => boolean): string | undefined {
  const doc = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'sql-recipes.md'), 'utf8');
  return [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] as string).find(wanted);
}

/** Rows as stored, but for last_run_id: what both ways of writing must agree on. */
export function withoutLastRun(rows: unknown[]): unknown[] {
  return rows.map((r) => ({ ...(r as Record<string, unknown>), last_run_id: undefined }));
}

/**
 * Records each step in a lean and a full store (`record`'s last argument says which), comparing
 * them with `expectSame` after every step.
 */
export function replayLeanAndFull<Step>(
  steps: readonly Step[],
  record: (store: Store, step: Step, index: number, lean: boolean) => void,
  expectSame: (lean: Store, full: Store) => void,
): void {
  const lean = openStore(':memory:');
  const full = openStore(':memory:');
  try {
    steps.forEach((step, i) => {
      record(lean, step, i, true);
      record(full, step, i, false);
      expectSame(lean, full);
    });
  } finally {
    lean.close();
    full.close();
  }
}

/** What a run computes: finding numbers (0-7) with their payload versions (0-2). */
export const computedArb = fc.array(fc.tuple(fc.nat(7), fc.nat(2)), { maxLength: 8 });

/** A caller writing part of a family: one finding by number and version, appearing or seen alone. */
export const partFields = { n: fc.nat(7), version: fc.nat(2), seen: fc.boolean() };

/** A finding as the tables store it: key, kind, payload; identity findings also their user's key. */
interface RowOf {
  key: string;
  kind: string;
  username?: string | null;
}

/**
 * What every run wrote before the seen runs, the reference: it resolves, inserts and rewrites
 * every finding the diff names, one statement each.
 */
export function rewriteEveryRow(
  store: Store,
  table: 'findings' | 'identity_findings',
  diff: { appeared: readonly RowOf[]; resolved: readonly { finding: RowOf }[]; still: readonly RowOf[] },
  runId: number,
  at: string,
  userKey?: (username: string) => string,
): void {
  const db = store.sqlite;
  const open = 'WHERE key = ? AND resolved_at IS NULL';
  for (const o of diff.resolved)
    db.prepare(`UPDATE ${table} SET resolved_at = ?, last_run_id = ? ${open}`).run(at, runId, o.finding.key);
  const userColumn = userKey ? ', username_key' : '';
  for (const f of diff.appeared) {
    const user = userKey ? [userKey(f.username as string)] : [];
    db.prepare(
      `INSERT INTO ${table} (key, kind, data, first_seen, first_run_id, last_run_id${userColumn})
       VALUES (?, ?, ?, ?, ?, ?${userKey ? ', ?' : ''})`,
    ).run(f.key, f.kind, JSON.stringify(f), at, runId, runId, ...user);
  }
  for (const f of diff.still)
    db.prepare(`UPDATE ${table} SET data = ?, last_run_id = ? ${open}`).run(JSON.stringify(f), runId, f.key);
}
