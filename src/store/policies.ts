/**
 * Escalation policies (versioned, SCD type 2), the latest on-call schedule per team, and the
 * record of the last `GET /v1/policies` call that keeps separate processes under its limit.
 */
import type { PolicyDiff } from '../roster/policies.js';
import { normaliseEntry } from '../roster/policy-entries.js';
import type { Policy, PolicyStep, Rotation, Shift, TeamSchedule } from '../roster/policy-types.js';
import { inTransaction, type Store } from './db.js';

interface PolicyRow {
  slug: string;
  name: string;
  team_slug: string;
  steps: string;
}

/** Entries recorded by older versions are upgraded, so they compare equal to the same entries read now. */
const fromRow = (row: PolicyRow): Policy => ({
  slug: row.slug,
  name: row.name,
  teamSlug: row.team_slug,
  steps: (JSON.parse(row.steps) as PolicyStep[]).map((step) => ({
    ...step,
    entries: step.entries.map(normaliseEntry),
  })),
});

/** The policies as currently recorded, sorted by slug. */
export function loadCurrentPolicies(store: Store): Policy[] {
  return (
    store.sqlite
      .prepare('SELECT slug, name, team_slug, steps FROM policies WHERE valid_to IS NULL ORDER BY slug')
      .all() as PolicyRow[]
  ).map(fromRow);
}

/** Writes a policy diff as new versions. Synchronous: call it inside the run's transaction. */
export function applyPolicyHistory(store: Store, runId: number, atIso: string, diff: PolicyDiff): void {
  const db = store.sqlite;
  const close = db.prepare(
    'UPDATE policies SET valid_to = ?, to_run_id = ? WHERE slug = ? AND valid_to IS NULL',
  );
  const insert = db.prepare(
    'INSERT INTO policies (slug, name, team_slug, steps, valid_from, from_run_id) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const add = (p: Policy) => insert.run(p.slug, p.name, p.teamSlug, JSON.stringify(p.steps), atIso, runId);
  for (const p of diff.removed) close.run(atIso, runId, p.slug);
  for (const c of diff.changed) {
    close.run(atIso, runId, c.before.slug);
    add(c.after);
  }
  for (const p of diff.added) add(p);
}

export function loadTeamSchedules(store: Store): TeamSchedule[] {
  const rows = store.sqlite
    .prepare(
      'SELECT team_slug, team_name, shifts, rotations, fetched_at FROM team_schedules ORDER BY team_slug',
    )
    .all() as {
    team_slug: string;
    team_name: string;
    shifts: string;
    rotations: string | null;
    fetched_at: string;
  }[];
  return rows.map((r) => ({
    team: { slug: r.team_slug, name: r.team_name },
    fetchedAt: r.fetched_at,
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
  const upsert = store.sqlite.prepare(
    `INSERT INTO team_schedules (team_slug, team_name, shifts, rotations, fetched_at, run_id)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(team_slug) DO UPDATE SET team_name = excluded.team_name, shifts = excluded.shifts,
       rotations = excluded.rotations, fetched_at = excluded.fetched_at, run_id = excluded.run_id`,
  );
  for (const s of schedules) {
    const rotations = s.rotations === undefined ? null : JSON.stringify(s.rotations);
    upsert.run(s.team.slug, s.team.name, JSON.stringify(s.shifts), rotations, atIso, runId);
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
    const row = store.sqlite.prepare('SELECT value FROM meta WHERE key = ?').get(POLICY_LIST_CALL_KEY) as
      | { value: string }
      | undefined;
    const lastCallMs = row === undefined ? null : Number(row.value);
    if (lastCallMs !== null && Number.isFinite(lastCallMs) && nowMs - lastCallMs < minIntervalMs) {
      return { ok: false, lastCallMs, retryInMs: lastCallMs + minIntervalMs - nowMs };
    }
    store.sqlite
      .prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(POLICY_LIST_CALL_KEY, String(nowMs));
    return { ok: true };
  });
}
