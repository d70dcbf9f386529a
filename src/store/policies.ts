/**
 * Escalation policies (versioned, SCD type 2), the latest on-call schedule per team, and the
 * record of the last `GET /v1/policies` call that keeps separate processes under its limit.
 */

import { and, asc, desc, eq, isNull, ne } from 'drizzle-orm';
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
import { inTransaction, type Store } from './db.js';
import { meta, policies, runs, teamSchedules } from './schema.js';

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

/** The policies as currently recorded, sorted by slug. */
export function loadCurrentPolicies(store: Store): Policy[] {
  return store.db
    .select({ slug: policies.slug, name: policies.name, teamSlug: policies.teamSlug, steps: policies.steps })
    .from(policies)
    .where(isNull(policies.validTo))
    .orderBy(asc(policies.slug))
    .all()
    .map(policyFromRow);
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

/** Replaces the snapshot of each given team. Synchronous: call it inside the run's transaction. */
export function saveTeamSchedules(
  store: Store,
  runId: number,
  atIso: string,
  schedules: readonly TeamSchedule[],
): void {
  for (const s of schedules) {
    const row = {
      teamName: s.team.name,
      shifts: JSON.stringify(s.shifts),
      rotations: s.rotations === undefined ? null : JSON.stringify(s.rotations),
      fetchedAt: atIso,
      runId,
    };
    store.db
      .insert(teamSchedules)
      .values({ teamSlug: s.team.slug, ...row })
      .onConflictDoUpdate({ target: teamSchedules.teamSlug, set: row })
      .run();
  }
}

const POLICY_LIST_CALL_KEY = 'victorops.policy_list.last_call_ms';

export type PolicyListPermit = { ok: true } | { ok: false; lastCallMs: number; retryInMs: number };

/**
 * Claims the next `GET /v1/policies` for this process, atomically across processes: allowed when
 * the last recorded call is at least `minIntervalMs` old, and then recorded as made now. It is
 * recorded before the call, because a call that fails still counts against VictorOps' limit.
 */
export function claimPolicyListCall(store: Store, nowMs: number, minIntervalMs: number): PolicyListPermit {
  return inTransaction(store, () => {
    const row = store.db
      .select({ value: meta.value })
      .from(meta)
      .where(eq(meta.key, POLICY_LIST_CALL_KEY))
      .get();
    const lastCallMs = row === undefined ? null : Number(row.value);
    if (lastCallMs !== null && Number.isFinite(lastCallMs) && nowMs - lastCallMs < minIntervalMs) {
      return { ok: false, lastCallMs, retryInMs: lastCallMs + minIntervalMs - nowMs };
    }
    const value = String(nowMs);
    store.db
      .insert(meta)
      .values({ key: POLICY_LIST_CALL_KEY, value })
      .onConflictDoUpdate({ target: meta.key, set: { value } })
      .run();
    return { ok: true };
  });
}
