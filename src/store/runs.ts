/** The runs table: one row per poll, whatever its outcome. */
import { desc, eq, inArray } from 'drizzle-orm';
import type { RunStatus } from '../roster/poll-decision.js';
import type { FailedScope, FetchStats, MembershipSource } from '../roster/types.js';
import type { Store } from './db.js';
import { runs } from './schema.js';

export interface NewRun {
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  strategy: MembershipSource | null;
  stats: FetchStats;
  counts: { users: number; teams: number; memberships: number } | null;
  failedScopes: FailedScope[];
  changeCount: number;
  error: string | null;
  rosterHash: string | null;
}

export interface RunRecord {
  id: number;
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  strategy: string | null;
  requests: number;
  retries: number;
  rateLimited: number;
  userCount: number | null;
  teamCount: number | null;
  membershipCount: number | null;
  failedScopes: FailedScope[];
  changeCount: number;
  error: string | null;
  rosterHash: string | null;
}

export function insertRun(store: Store, run: NewRun): number {
  const row = store.db
    .insert(runs)
    .values({
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      status: run.status,
      strategy: run.strategy,
      requests: run.stats.requests,
      retries: run.stats.retries,
      rateLimited: run.stats.rateLimited,
      userCount: run.counts?.users ?? null,
      teamCount: run.counts?.teams ?? null,
      membershipCount: run.counts?.memberships ?? null,
      failedScopes: run.failedScopes.length > 0 ? JSON.stringify(run.failedScopes) : null,
      changeCount: run.changeCount,
      error: run.error,
      rosterHash: run.rosterHash,
    })
    .returning({ id: runs.id })
    .get();
  return row.id;
}

function toRecord(row: typeof runs.$inferSelect): RunRecord {
  return {
    ...row,
    status: row.status as RunStatus,
    failedScopes: row.failedScopes ? (JSON.parse(row.failedScopes) as FailedScope[]) : [],
  };
}

export function listRuns(store: Store, limit: number): RunRecord[] {
  return store.db.select().from(runs).orderBy(desc(runs.id)).limit(limit).all().map(toRecord);
}

export function getRun(store: Store, id: number): RunRecord | undefined {
  const row = store.db.select().from(runs).where(eq(runs.id, id)).get();
  return row ? toRecord(row) : undefined;
}

/** Failed runs since the last run that was not failed, and when that streak began. */
export function failureStreak(store: Store): { count: number; since: string | null } {
  const row = store.sqlite
    .prepare(
      `SELECT COUNT(*) AS count, MIN(started_at) AS since FROM runs
       WHERE status = 'failed' AND id > COALESCE((SELECT MAX(id) FROM runs WHERE status <> 'failed'), 0)`,
    )
    .get() as { count: number; since: string | null };
  return row;
}

/** The last run whose fetch succeeded (ok, partial, baseline or held), for readiness and metrics. */
export function lastSuccessfulRun(store: Store): RunRecord | undefined {
  const row = store.db
    .select()
    .from(runs)
    .where(inArray(runs.status, ['ok', 'partial', 'baseline', 'held']))
    .orderBy(desc(runs.id))
    .limit(1)
    .get();
  return row ? toRecord(row) : undefined;
}
