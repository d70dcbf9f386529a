/** Coverage findings: open ones have resolved_at IS NULL; nothing is deleted. */

import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import type { Finding, FindingKind, FindingsDiff, OpenFinding } from '../roster/coverage-types.js';
import type { Store } from './db.js';
import { findings } from './schema.js';

export interface StoredFinding extends OpenFinding {
  id: number;
  resolvedAt: string | null;
  firstRunId: number;
  lastRunId: number;
}

const fromRow = (row: typeof findings.$inferSelect): StoredFinding => ({
  id: row.id,
  finding: JSON.parse(row.data) as Finding,
  firstSeen: row.firstSeen,
  resolvedAt: row.resolvedAt,
  firstRunId: row.firstRunId,
  lastRunId: row.lastRunId,
});

/** Open findings, oldest first. */
export function loadOpenFindings(store: Store): StoredFinding[] {
  return store.db
    .select()
    .from(findings)
    .where(isNull(findings.resolvedAt))
    .orderBy(asc(findings.firstSeen), asc(findings.key))
    .all()
    .map(fromRow);
}

export function countOpenFindingsByKind(store: Store): { kind: FindingKind; open: number }[] {
  return store.db
    .select({ kind: findings.kind, open: count() })
    .from(findings)
    .where(isNull(findings.resolvedAt))
    .groupBy(findings.kind)
    .all() as { kind: FindingKind; open: number }[];
}

/**
 * Writes what a run saw. Synchronous: call it inside the run's transaction. Each statement is
 * built and prepared once per call and run per finding: every poll rewrites every open finding
 * (`still`), and building a drizzle update per finding was a fifth of an unchanged 20,000-user
 * poll's CPU for its ~250 open findings (issue 21, `node dist/bench/run.js poll-alone`).
 */
export function applyFindingsDiff(store: Store, diff: FindingsDiff, runId: number, atIso: string): void {
  const db = store.db;
  const openWithKey = and(eq(findings.key, sql.placeholder('key')), isNull(findings.resolvedAt));
  if (diff.resolved.length > 0) {
    const resolve = db
      .update(findings)
      .set({ resolvedAt: atIso, lastRunId: runId })
      .where(openWithKey)
      .prepare();
    for (const o of diff.resolved) resolve.run({ key: o.finding.key });
  }
  if (diff.appeared.length > 0) {
    const insert = db
      .insert(findings)
      .values({
        key: sql.placeholder('key'),
        kind: sql.placeholder('kind'),
        data: sql.placeholder('data'),
        firstSeen: atIso,
        firstRunId: runId,
        lastRunId: runId,
      })
      .prepare();
    for (const f of diff.appeared) insert.run({ key: f.key, kind: f.kind, data: JSON.stringify(f) });
  }
  if (diff.still.length > 0) {
    const seen = db
      .update(findings)
      .set({ data: sql`${sql.placeholder('data')}`, lastRunId: runId })
      .where(openWithKey)
      .prepare();
    for (const f of diff.still) seen.run({ key: f.key, data: JSON.stringify(f) });
  }
}
