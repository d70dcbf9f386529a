/** Coverage findings: open ones have resolved_at IS NULL; nothing is deleted. */

import { and, asc, count, eq, isNull } from 'drizzle-orm';
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

/** Writes what a run saw. Synchronous: call it inside the run's transaction. */
export function applyFindingsDiff(store: Store, diff: FindingsDiff, runId: number, atIso: string): void {
  const db = store.db;
  const open = (key: string) => and(eq(findings.key, key), isNull(findings.resolvedAt));
  for (const o of diff.resolved) {
    db.update(findings).set({ resolvedAt: atIso, lastRunId: runId }).where(open(o.finding.key)).run();
  }
  for (const f of diff.appeared) {
    db.insert(findings)
      .values({
        key: f.key,
        kind: f.kind,
        data: JSON.stringify(f),
        firstSeen: atIso,
        firstRunId: runId,
        lastRunId: runId,
      })
      .run();
  }
  for (const f of diff.still) {
    db.update(findings)
      .set({ data: JSON.stringify(f), lastRunId: runId })
      .where(open(f.key))
      .run();
  }
}
