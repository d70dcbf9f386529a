/** The runs table: one row per poll, whatever its outcome. */
import { and, asc, count, desc, eq, gt, inArray, isNull, lt, max, min, ne, type SQL, sql } from 'drizzle-orm';
import type { PolicyFailedScope } from '../roster/policy-types.js';
import type { RunStatus } from '../roster/poll-decision.js';
import type { FailedScope, FetchStats, MembershipSource } from '../roster/types.js';
import type { Store } from './db.js';
import { runs } from './schema.js';

/** Every kind of run this version records. */
export const RUN_KINDS = ['roster', 'policy', 'contacts', 'identity'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

export interface NewRun {
  /** Defaults to roster. */
  kind?: RunKind;
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  strategy: MembershipSource | null;
  stats: FetchStats;
  counts: { users: number | null; teams: number; memberships: number | null } | null;
  failedScopes:
    | FailedScope[]
    | PolicyFailedScope[]
    | { kind: 'person-contacts'; username: string; reason: string }[];
  changeCount: number;
  error: string | null;
  rosterHash: string | null;
  policyCount?: number | null;
}

export interface RunRecord {
  id: number;
  kind: RunKind;
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
  /** Roster runs: membership scopes; policy runs: PolicyFailedScope (policy or team-schedule). */
  failedScopes: FailedScope[] | PolicyFailedScope[];
  changeCount: number;
  error: string | null;
  rosterHash: string | null;
  policyCount: number | null;
}

export function insertRun(store: Store, run: NewRun): number {
  const row = store.db
    .insert(runs)
    .values({
      kind: run.kind ?? 'roster',
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
      policyCount: run.policyCount ?? null,
    })
    .returning({ id: runs.id })
    .get();
  return row.id;
}

function toRecord(row: typeof runs.$inferSelect): RunRecord {
  return {
    ...row,
    kind: row.kind as RunKind,
    status: row.status as RunStatus,
    failedScopes: row.failedScopes
      ? (JSON.parse(row.failedScopes) as FailedScope[] | PolicyFailedScope[])
      : [],
  };
}

/** Runs newest first: `runs`, the app's reads and the web view's runs page (keyset paging by `beforeId`). */
export function listRuns(
  store: Store,
  options: { limit: number; beforeId?: number | undefined; kind?: string | undefined },
): RunRecord[] {
  return store.db
    .select()
    .from(runs)
    .where(
      and(
        options.beforeId === undefined ? undefined : lt(runs.id, options.beforeId),
        options.kind === undefined ? undefined : eq(runs.kind, options.kind),
      ),
    )
    .orderBy(desc(runs.id))
    .limit(options.limit)
    .all()
    .map(toRecord);
}

/** Every kind of run in the table, sorted (a database written by a later version may hold more). */
export function listRecordedRunKinds(store: Store): string[] {
  return store.db
    .selectDistinct({ kind: runs.kind })
    .from(runs)
    .orderBy(asc(runs.kind))
    .all()
    .map((r) => r.kind);
}

/** The latest run of every kind that was ever recorded (roster, policy, and any later kind). */
export function lastRunPerKind(store: Store): RunRecord[] {
  const latest = store.db
    .select({ id: max(runs.id) })
    .from(runs)
    .groupBy(runs.kind);
  return store.db
    .select()
    .from(runs)
    .where(inArray(runs.id, latest))
    .orderBy(asc(runs.kind))
    .all()
    .map(toRecord);
}

export function getRun(store: Store, id: number): RunRecord | undefined {
  const row = store.db.select().from(runs).where(eq(runs.id, id)).get();
  return row ? toRecord(row) : undefined;
}

/** Failed runs of a kind since its last run that was not failed, and when that streak began. */
export function failureStreak(
  store: Store,
  kind: RunKind = 'roster',
): { count: number; since: string | null } {
  // One statement, so a run recorded by another process cannot fall between the two reads.
  const lastNotFailed = store.db
    .select({ id: max(runs.id) })
    .from(runs)
    .where(and(eq(runs.kind, kind), ne(runs.status, 'failed')));
  const row = store.db
    .select({ count: count(), since: min(runs.startedAt) })
    .from(runs)
    .where(
      and(eq(runs.kind, kind), eq(runs.status, 'failed'), gt(runs.id, sql`COALESCE((${lastNotFailed}), 0)`)),
    )
    .get();
  return { count: row?.count ?? 0, since: row?.since ?? null };
}

/** Whether a roster baseline is recorded (cheap: the identity sync checks it before reading any source). */
/**
 * The id of the latest roster run (before `before`, when given), or null. What the poll's stored
 * fingerprints and known user list are stamped with: each is trusted only while it names this run.
 * Raw SQL: read on every poll.
 */
export function latestRosterRunId(store: Store, before?: number): number | null {
  const row = store.sqlite
    .prepare("SELECT MAX(id) AS id FROM runs WHERE kind = 'roster' AND id < ?")
    .get(before ?? Number.MAX_SAFE_INTEGER) as { id: number | null };
  return row.id;
}

export function hasRosterBaseline(store: Store): boolean {
  return anyRun(store, and(eq(runs.kind, 'roster'), eq(runs.status, 'baseline')));
}

/** Whether a policy poll has ever recorded policies: coverage findings need them. */
export function hasPolicyBaseline(store: Store): boolean {
  return anyRun(store, and(eq(runs.kind, 'policy'), ne(runs.status, 'failed')));
}

/** Whether a policy poll ever read every listed policy and every team schedule. */
export function hasCompletePolicyPoll(store: Store): boolean {
  return anyRun(
    store,
    and(eq(runs.kind, 'policy'), inArray(runs.status, ['ok', 'baseline']), isNull(runs.failedScopes)),
  );
}

function anyRun(store: Store, where: SQL | undefined): boolean {
  return store.db.select({ id: runs.id }).from(runs).where(where).limit(1).get() !== undefined;
}

/** The last run whose fetch succeeded (ok, partial, baseline or held), for readiness and metrics. */
export function lastSuccessfulRun(store: Store): RunRecord | undefined {
  const row = store.db
    .select()
    .from(runs)
    .where(and(eq(runs.kind, 'roster'), inArray(runs.status, ['ok', 'partial', 'baseline', 'held'])))
    .orderBy(desc(runs.id))
    .limit(1)
    .get();
  return row ? toRecord(row) : undefined;
}

/** The latest time any run (of any kind) was recorded at: its finish, or its start if later. */
export function latestRunTime(store: Store): string | null {
  const row = store.db
    .select({ finished: max(runs.finishedAt), started: max(runs.startedAt) })
    .from(runs)
    .get();
  if (row?.finished == null || row.started == null) return null;
  // ISO strings of one format order like the instants they name, so the later sorts last.
  return [row.finished, row.started].sort()[1] ?? null;
}

/** The latest time (started or finished) of the runs of one kind, or null when there is none. */
function latestRunTimeOfKind(store: Store, kind: string): string | null {
  const row = store.db
    .select({ finished: max(runs.finishedAt), started: max(runs.startedAt) })
    .from(runs)
    .where(eq(runs.kind, kind))
    .get();
  if (row?.finished == null || row.started == null) return null;
  return [row.finished, row.started].sort()[1] ?? null;
}

/**
 * Times for a run about to be recorded, always later than the last run of its kind: history rows
 * start at a run's time, so a wall clock that stepped back would otherwise make a row begin before
 * the one it follows and `roster --at` would reconstruct the wrong roster. Runs of other kinds
 * (a policy poll that finished while this roster poll was still reading) write other history and
 * do not move this run's times.
 *
 * `clockWasBehind` is the last recorded run time when the clock, read as this run is recorded
 * (`recordedAt`; without it, the run's finish), is before it: only a clock that stepped back can
 * read an earlier time than one another run already read and recorded. A run that merely started
 * before another finished (they overlapped), or finished reading before another run that was
 * recorded first (a one-shot `poll` beside the daemon, waiting for the write lock), is no clock step.
 */
export function keepRunTimesMonotonic(
  store: Store,
  kind: string,
  times: { startedAt: string; finishedAt: string },
  recordedAt?: string,
): { startedAt: string; finishedAt: string; clockWasBehind: string | null } {
  const lastAny = latestRunTime(store);
  const clockWasBehind = lastAny !== null && (recordedAt ?? times.finishedAt) < lastAny ? lastAny : null;
  const last = latestRunTimeOfKind(store, kind);
  if (last === null || (times.startedAt > last && times.finishedAt >= times.startedAt)) {
    return { ...times, clockWasBehind };
  }
  // One millisecond past the last run, so this run's rows begin strictly after that run's.
  const startedAt = times.startedAt > last ? times.startedAt : new Date(Date.parse(last) + 1).toISOString();
  // ISO strings of one format order like the instants they name.
  let finishedAt = times.finishedAt;
  if (finishedAt < startedAt) finishedAt = startedAt;
  return { startedAt, finishedAt, clockWasBehind };
}
