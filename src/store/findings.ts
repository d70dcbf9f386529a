/** Coverage findings: open ones have resolved_at IS NULL; nothing is deleted. */
import type { Finding, FindingKind, FindingsDiff, OpenFinding } from '../roster/coverage-types.js';
import type { Store } from './db.js';

export interface StoredFinding extends OpenFinding {
  id: number;
  resolvedAt: string | null;
  firstRunId: number;
  lastRunId: number;
}

interface FindingRow {
  id: number;
  data: string;
  first_seen: string;
  resolved_at: string | null;
  first_run_id: number;
  last_run_id: number;
}

const fromRow = (row: FindingRow): StoredFinding => ({
  id: row.id,
  finding: JSON.parse(row.data) as Finding,
  firstSeen: row.first_seen,
  resolvedAt: row.resolved_at,
  firstRunId: row.first_run_id,
  lastRunId: row.last_run_id,
});

/** Open findings, oldest first. */
export function loadOpenFindings(store: Store): StoredFinding[] {
  return (
    store.sqlite
      .prepare(
        `SELECT id, data, first_seen, resolved_at, first_run_id, last_run_id FROM findings
         WHERE resolved_at IS NULL ORDER BY first_seen, key`,
      )
      .all() as FindingRow[]
  ).map(fromRow);
}

export function countOpenFindingsByKind(store: Store): { kind: FindingKind; open: number }[] {
  return store.sqlite
    .prepare('SELECT kind, COUNT(*) AS open FROM findings WHERE resolved_at IS NULL GROUP BY kind')
    .all() as { kind: FindingKind; open: number }[];
}

/** Writes what a run saw. Synchronous: call it inside the run's transaction. */
export function applyFindingsDiff(store: Store, diff: FindingsDiff, runId: number, atIso: string): void {
  const db = store.sqlite;
  const insert = db.prepare(
    `INSERT INTO findings (key, kind, data, first_seen, first_run_id, last_run_id) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const resolve = db.prepare(
    'UPDATE findings SET resolved_at = ?, last_run_id = ? WHERE key = ? AND resolved_at IS NULL',
  );
  const refresh = db.prepare(
    'UPDATE findings SET data = ?, last_run_id = ? WHERE key = ? AND resolved_at IS NULL',
  );
  for (const o of diff.resolved) resolve.run(atIso, runId, o.finding.key);
  for (const f of diff.appeared) insert.run(f.key, f.kind, JSON.stringify(f), atIso, runId, runId);
  for (const f of diff.still) refresh.run(JSON.stringify(f), runId, f.key);
}
