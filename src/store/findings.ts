/** Coverage findings: open ones have resolved_at IS NULL; nothing is deleted. */

import { and, asc, count, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Finding, FindingKind, FindingsDiff, OpenFinding } from '../roster/coverage-types.js';
import { isReachKind } from '../roster/coverage-types.js';
import type { Store } from './db.js';
import { readMeta, writeMeta } from './meta.js';
import { findings, meta } from './schema.js';

export interface StoredFinding extends OpenFinding {
  id: number;
  resolvedAt: string | null;
  firstRunId: number;
  lastRunId: number;
}

/**
 * Who recomputes a finding: contacts polls the reach kinds, roster and policy polls every other
 * coverage kind, identity syncs the `identity.*` kinds (their own table, store/identity.ts). Each
 * run recomputes its family's findings whole and sees every open one of them.
 */
export type FindingFamily = 'reach' | 'coverage' | 'identity';
const familyOf = (kind: string): FindingFamily =>
  kind.startsWith('identity.') ? 'identity' : isReachKind(kind) ? 'reach' : 'coverage';

/**
 * The last run that recomputed each family and saw every open finding of it (meta). A run that
 * sees an open finding unchanged leaves its row alone (rewriting ~270 rows was ~120 KiB of WAL per
 * unchanged poll, issue 21); such a finding's last_run_id is the run that last wrote it, and the
 * last run that saw it is the later of that and its family's run here (lastSeenRunId).
 */
const SEEN_RUN_KEYS: Record<FindingFamily, string> = {
  reach: 'findings.reach.seen_run',
  coverage: 'findings.coverage.seen_run',
  identity: 'findings.identity.seen_run',
};

export type SeenRuns = Record<FindingFamily, number>;

export function loadSeenRuns(store: Store): SeenRuns {
  const rows = store.db
    .select()
    .from(meta)
    .where(inArray(meta.key, Object.values(SEEN_RUN_KEYS)))
    .all();
  const runOf = (family: FindingFamily) =>
    Number(rows.find((r) => r.key === SEEN_RUN_KEYS[family])?.value ?? 0);
  return { reach: runOf('reach'), coverage: runOf('coverage'), identity: runOf('identity') };
}

/** Records `runId` as the last run that saw every open finding of `family`. In that run's transaction. */
export function saveSeenRun(store: Store, family: FindingFamily, runId: number): void {
  writeMeta(store, SEEN_RUN_KEYS[family], String(runId));
}

/**
 * Runs `read` with the seen runs in one read transaction, so the rows it reads and the seen runs
 * are of the same commit (a poll committing between them could otherwise show a finding it
 * resolved as seen open by it). Inside a caller's transaction it is a savepoint of it.
 */
export function withSeenRuns<T>(store: Store, read: (seen: SeenRuns) => T): T {
  return store.sqlite.transaction(() => read(loadSeenRuns(store)))();
}

/**
 * The last run that saw an open finding open (as every run once rewrote it), or the run that
 * resolved a resolved one: what last_run_id means to every reader.
 */
export function lastSeenRunId(
  row: { kind: string; resolvedAt: string | null; lastRunId: number },
  seen: SeenRuns,
): number {
  return row.resolvedAt === null ? Math.max(row.lastRunId, seen[familyOf(row.kind)]) : row.lastRunId;
}

const fromRow = (row: typeof findings.$inferSelect, seen: SeenRuns): StoredFinding => ({
  id: row.id,
  finding: JSON.parse(row.data) as Finding,
  firstSeen: row.firstSeen,
  resolvedAt: row.resolvedAt,
  firstRunId: row.firstRunId,
  lastRunId: lastSeenRunId(row, seen),
});

/** Open findings, oldest first. */
export function loadOpenFindings(store: Store): StoredFinding[] {
  return withSeenRuns(store, (seen) =>
    store.db
      .select()
      .from(findings)
      .where(isNull(findings.resolvedAt))
      .orderBy(asc(findings.firstSeen), asc(findings.key))
      .all()
      .map((row) => fromRow(row, seen)),
  );
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
 * built and prepared once per call and run per finding (building a drizzle update per finding was
 * a fifth of an unchanged 20,000-user poll's CPU for its ~250 open findings, issue 21).
 *
 * A diff that accounts for every open finding of one family (diffFindings over them, as every
 * cycle makes it) records the run as that family's seen run and rewrites only the findings whose
 * payload changed. Any other diff (part of a family, as the test histories write) rewrites every
 * finding it names, so a seen run never vouches for a finding the run did not see.
 */
export function applyFindingsDiff(store: Store, diff: FindingsDiff, runId: number, atIso: string): void {
  const db = store.db;
  const whole = wholeFamily(store, diff);
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
    // Unchanged rows are not matched, so their pages are not written.
    const seen = db
      .update(findings)
      .set({ data: sql`${sql.placeholder('data')}`, lastRunId: runId })
      .where(whole === null ? openWithKey : and(openWithKey, ne(findings.data, sql.placeholder('data'))))
      .prepare();
    for (const f of diff.still) seen.run({ key: f.key, data: JSON.stringify(f) });
  }
  if (whole !== null) saveSeenRun(store, whole, runId);
}

/**
 * The family whose every open finding the diff resolves or still sees, or null (an empty diff, or
 * one that leaves an open finding of its family out). Read before the diff is written. Open rows
 * have distinct keys (findings_open_uq), so keys equal to the family's open keys name only its rows.
 */
function wholeFamily(store: Store, diff: FindingsDiff): FindingFamily | null {
  const first = diff.still[0] ?? diff.resolved[0]?.finding ?? diff.appeared[0];
  if (first === undefined) return null;
  const family = familyOf(first.kind);
  const open = store.db
    .select({ key: findings.key, kind: findings.kind })
    .from(findings)
    .where(isNull(findings.resolvedAt))
    .all()
    .filter((row) => familyOf(row.kind) === family);
  return seesExactly(
    open.map((row) => row.key),
    diff,
  )
    ? family
    : null;
}

/**
 * Whether a diff resolves or still sees exactly the findings whose keys are `openKeys` (distinct:
 * open rows' keys are unique), so its run saw every one of them and named nothing else open.
 */
export function seesExactly(
  openKeys: readonly string[],
  diff: { still: readonly { key: string }[]; resolved: readonly { finding: { key: string } }[] },
): boolean {
  const named = new Set<string>();
  for (const f of diff.still) named.add(f.key);
  for (const o of diff.resolved) named.add(o.finding.key);
  return openKeys.length === named.size && openKeys.every((key) => named.has(key));
}

/**
 * What an unchanged roster poll may carry its coverage findings over on (issue 21): the run that
 * last computed them (or carried them), the settings they were computed with, and until when the
 * passing of time cannot change them (coverage-horizon.ts). Kept in meta and written in that run's
 * transaction, so it is of the same commit as the findings it vouches for, and gone with it.
 */
export interface CoverageMemo {
  runId: number;
  /** The `now` the findings are of: their window edges are its (coverage-horizon.ts, movedTo). */
  at: string;
  /** ms; null: no boundary ahead. */
  horizon: number | null;
  daysForward: number | null;
  /** REACH_EXEMPT, as given. */
  reachExemptions: string;
  /** Which build computed them (coverage-plan.ts CODE): another build recomputes. */
  code: string;
}

const COVERAGE_MEMO_KEY = 'findings.coverage.memo';
/** Bumped whenever what computeFindings gives for the same inputs changes. */
const COVERAGE_MEMO_VERSION = 1;

/** The open findings' rows as stored (their data as text), oldest first. */
export function loadOpenFindingRows(store: Store): { kind: string; data: string }[] {
  return store.sqlite
    .prepare('SELECT kind, data FROM findings WHERE resolved_at IS NULL ORDER BY first_seen, key')
    .all() as { kind: string; data: string }[];
}

export function loadCoverageMemo(store: Store): CoverageMemo | null {
  const value = readMeta(store, COVERAGE_MEMO_KEY);
  if (value === null) return null;
  let parsed: CoverageMemo & { version: number };
  try {
    parsed = JSON.parse(value) as CoverageMemo & { version: number };
  } catch {
    // A memo that is not JSON (edited by hand) vouches for nothing: the findings are recomputed.
    return null;
  }
  const { version, ...memo } = parsed;
  return version === COVERAGE_MEMO_VERSION ? memo : null;
}

export function saveCoverageMemo(store: Store, memo: CoverageMemo): void {
  writeMeta(store, COVERAGE_MEMO_KEY, JSON.stringify({ version: COVERAGE_MEMO_VERSION, ...memo }));
}

/**
 * The id of the newest run ever recorded, of any kind (runs is AUTOINCREMENT: sqlite_sequence keeps
 * it even when rows are pruned). Every writer of what the findings read (roster, policy and
 * contacts polls, accept) and of the findings records a run, so a memo whose run is this one has
 * seen all of their writes; and the run being recorded in this transaction takes the next id.
 */
export function lastRunId(store: Store): number {
  const row = store.sqlite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'runs'").get() as
    | { seq: number }
    | undefined;
  return row?.seq ?? 0;
}
