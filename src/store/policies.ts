/**
 * Escalation policies (versioned, SCD type 2), the latest on-call schedule per team, and the
 * record of the last `GET /v1/policies` call that keeps separate processes under its limit.
 */

import { and, asc, desc, eq, isNull, ne } from 'drizzle-orm';
import { compareText } from '../roster/normalise.js';
import { type PolicyDiff, unreadPoliciesOf } from '../roster/policies.js';
import { normaliseEntry } from '../roster/policy-entries.js';
import type {
  Policy,
  PolicyFailedScope,
  PolicyStep,
  Rotation,
  Shift,
  TeamSchedule,
  UnreadPolicy,
} from '../roster/policy-types.js';
import { inTransaction, type Store, statementsPerConnection } from './db.js';
import { deleteMeta, readMeta, writeMeta } from './meta.js';
import { policies, runs, teamSchedules } from './schema.js';

/** Entries recorded by older versions are upgraded, so they compare equal to the same entries read now. */
export const policyFromRow = (row: {
  slug: string;
  name: string;
  teamSlug: string;
  steps: string;
}): Policy => ({
  slug: row.slug,
  name: row.name,
  teamSlug: row.teamSlug,
  steps: (JSON.parse(row.steps) as PolicyStep[]).map((step) => ({
    ...step,
    entries: step.entries.map(normaliseEntry),
  })),
});

const POLICY_COLUMNS = {
  slug: policies.slug,
  name: policies.name,
  teamSlug: policies.teamSlug,
  steps: policies.steps,
};

/** The policies as currently recorded, sorted by slug. */
export function loadCurrentPolicies(store: Store): Policy[] {
  return store.db
    .select(POLICY_COLUMNS)
    .from(policies)
    .where(isNull(policies.validTo))
    .orderBy(asc(policies.slug))
    .all()
    .map(policyFromRow)
    .sort((a, b) => compareText(a.slug, b.slug));
}

/**
 * The policies the last policy poll that got the list found listed but could not read, and that
 * have no recorded version: they exist, their steps are unknown. Derived from that run's failed
 * scopes, so nothing besides the run row records the state.
 */
export function loadUnreadPolicies(store: Store): UnreadPolicy[] {
  const row = store.db
    .select({ failedScopes: runs.failedScopes })
    .from(runs)
    .where(and(eq(runs.kind, 'policy'), ne(runs.status, 'failed')))
    .orderBy(desc(runs.id))
    .limit(1)
    .get();
  if (!row?.failedScopes) return [];
  const recorded = new Set(loadCurrentPolicies(store).map((p) => p.slug));
  return unreadPoliciesOf(JSON.parse(row.failedScopes) as PolicyFailedScope[], recorded);
}

/** Writes a policy diff as new versions. Synchronous: call it inside the run's transaction. */
export function applyPolicyHistory(store: Store, runId: number, atIso: string, diff: PolicyDiff): void {
  const close = (slug: string) =>
    store.db
      .update(policies)
      .set({ validTo: atIso, toRunId: runId })
      .where(and(eq(policies.slug, slug), isNull(policies.validTo)))
      .run();
  const add = (p: Policy) =>
    store.db
      .insert(policies)
      .values({
        slug: p.slug,
        name: p.name,
        teamSlug: p.teamSlug,
        steps: JSON.stringify(p.steps),
        validFrom: atIso,
        fromRunId: runId,
      })
      .run();
  for (const p of diff.removed) close(p.slug);
  for (const c of diff.changed) {
    close(c.before.slug);
    add(c.after);
  }
  for (const p of diff.added) add(p);
}

export function loadTeamSchedules(store: Store): TeamSchedule[] {
  const rows = store.db.select().from(teamSchedules).orderBy(asc(teamSchedules.teamSlug)).all();
  return rows.map((r) => ({
    team: { slug: r.teamSlug, name: r.teamName },
    fetchedAt: r.fetchedAt,
    shifts: JSON.parse(r.shifts) as Shift[],
    // A snapshot from before rotations were kept knows only rotations with shifts.
    ...(r.rotations === null ? {} : { rotations: JSON.parse(r.rotations) as Rotation[] }),
  }));
}

/**
 * The upsert of one team's snapshot, prepared once per connection: building it through drizzle for
 * each of 500 teams was most of this step's CPU in every policy poll (issue 21).
 */
const scheduleUpsert = statementsPerConnection((sqlite) =>
  sqlite.prepare(
    `INSERT INTO team_schedules (team_slug, team_name, shifts, rotations, fetched_at, run_id)
     VALUES (@teamSlug, @teamName, @shifts, @rotations, @fetchedAt, @runId)
     ON CONFLICT (team_slug) DO UPDATE SET team_name = excluded.team_name, shifts = excluded.shifts,
       rotations = excluded.rotations, fetched_at = excluded.fetched_at, run_id = excluded.run_id`,
  ),
);

/** Replaces the snapshot of each given team. Synchronous: call it inside the run's transaction. */
export function saveTeamSchedules(
  store: Store,
  runId: number,
  atIso: string,
  schedules: readonly TeamSchedule[],
): void {
  const upsert = scheduleUpsert(store);
  for (const s of schedules) {
    upsert.run({
      teamSlug: s.team.slug,
      teamName: s.team.name,
      shifts: JSON.stringify(s.shifts),
      rotations: s.rotations === undefined ? null : JSON.stringify(s.rotations),
      fetchedAt: atIso,
      runId,
    });
  }
}

const POLICY_LIST_CALL_KEY = 'victorops.policy_list.last_call_ms';
/** When a process last actually sent the list request (the claim is made before it waits for its turn). */
const POLICY_LIST_SENT_KEY = 'victorops.policy_list.last_sent_ms';

export type PolicyListPermit =
  | { ok: true; claimedMs: number; previousMs: number | null }
  | { ok: false; lastCallMs: number; retryInMs: number };

function readMs(store: Store, key: string): number | null {
  const value = readMeta(store, key);
  const ms = value === null ? null : Number(value);
  return ms !== null && Number.isFinite(ms) ? ms : null;
}

function writeMs(store: Store, key: string, ms: number): void {
  writeMeta(store, key, String(ms));
}

/**
 * Claims the next `GET /v1/policies` for this process, atomically across processes: allowed when
 * the last recorded call is at least `minIntervalMs` old, and then recorded as made now. It is
 * recorded before the call, because a call that fails still counts against VictorOps' limit; the
 * call itself then moves the record to when it was sent (markPolicyListSent), and a claim whose
 * call was never sent is given back (releasePolicyListClaim).
 */
export function claimPolicyListCall(store: Store, nowMs: number, minIntervalMs: number): PolicyListPermit {
  return inTransaction(store, () => {
    const lastCallMs = readMs(store, POLICY_LIST_CALL_KEY);
    if (lastCallMs !== null && nowMs - lastCallMs < minIntervalMs) {
      return { ok: false, lastCallMs, retryInMs: lastCallMs + minIntervalMs - nowMs };
    }
    writeMs(store, POLICY_LIST_CALL_KEY, nowMs);
    return { ok: true, claimedMs: nowMs, previousMs: lastCallMs };
  });
}

/**
 * The list request is being sent now: the interval counts from here, not from the claim made
 * before the request waited for its turn (seconds, behind roster polls), so the next claim is not
 * granted early and refused by VictorOps.
 */
export function markPolicyListSent(store: Store, nowMs: number): void {
  inTransaction(store, () => {
    writeMs(store, POLICY_LIST_SENT_KEY, nowMs);
    const lastCallMs = readMs(store, POLICY_LIST_CALL_KEY);
    if (lastCallMs === null || nowMs > lastCallMs) writeMs(store, POLICY_LIST_CALL_KEY, nowMs);
  });
}

/**
 * Gives a claim back when its request was never sent (the poll was stopped, or its deadline ended
 * it while it waited for a turn): another process need not wait a minute for a call nobody made.
 * Does nothing once the request was sent, or when a newer claim replaced this one.
 */
export function releasePolicyListClaim(store: Store, permit: PolicyListPermit): void {
  if (!permit.ok) return;
  inTransaction(store, () => {
    const sentMs = readMs(store, POLICY_LIST_SENT_KEY);
    if (sentMs !== null && sentMs >= permit.claimedMs) return;
    if (readMs(store, POLICY_LIST_CALL_KEY) !== permit.claimedMs) return;
    if (permit.previousMs === null) deleteMeta(store, POLICY_LIST_CALL_KEY);
    else writeMs(store, POLICY_LIST_CALL_KEY, permit.previousMs);
  });
}
