/**
 * Identity reconciliation's SQLite reads and writes: the findings (open while resolved_at IS
 * NULL, never deleted), each source's health, and one sync recorded inside the caller's ONE
 * synchronous transaction with its run row, events and outbox rows.
 */

import type { EventDraft } from '../roster/events.js';
import type { SourceDecision, SourceState } from '../roster/identity-findings.js';
import type {
  IdentityFinding,
  IdentityFindingKind,
  IdentityFindingsDiff,
  IdentitySourceKind,
} from '../roster/identity-types.js';
import type { RunStatus } from '../roster/poll-decision.js';
import type { FetchStats } from '../roster/types.js';
import { requireTransaction, type Store } from './db.js';
import type { StoredEvent } from './events.js';
import { appendRunEvents, type DeliveryTargets } from './run-events.js';
import { insertRun } from './runs.js';

export interface StoredIdentityFinding {
  finding: IdentityFinding;
  firstSeen: string;
  resolvedAt: string | null;
}

interface FindingRow {
  data: string;
  first_seen: string;
  resolved_at: string | null;
}

const fromRow = (row: FindingRow): StoredIdentityFinding => ({
  finding: JSON.parse(row.data) as IdentityFinding,
  firstSeen: row.first_seen,
  resolvedAt: row.resolved_at,
});

/** Whether a roster baseline is recorded (cheap: the sync checks it before reading any source). */
export function hasRosterBaseline(store: Store): boolean {
  return (
    store.sqlite.prepare("SELECT 1 FROM runs WHERE kind = 'roster' AND status = 'baseline' LIMIT 1").get() !==
    undefined
  );
}

/** Open identity findings, oldest first. */
export function loadOpenIdentityFindings(store: Store): StoredIdentityFinding[] {
  return (
    store.sqlite
      .prepare(
        'SELECT data, first_seen, resolved_at FROM identity_findings WHERE resolved_at IS NULL ORDER BY first_seen, key',
      )
      .all() as FindingRow[]
  ).map(fromRow);
}

/** One user's open identity findings (for `offboard-check`). */
export function loadOpenIdentityFindingsFor(store: Store, usernameKey: string): StoredIdentityFinding[] {
  return (
    store.sqlite
      .prepare(
        'SELECT data, first_seen, resolved_at FROM identity_findings WHERE username_key = ? AND resolved_at IS NULL ORDER BY key',
      )
      .all(usernameKey) as FindingRow[]
  ).map(fromRow);
}

export function countOpenIdentityFindingsByKind(store: Store): { kind: IdentityFindingKind; open: number }[] {
  return store.sqlite
    .prepare('SELECT kind, COUNT(*) AS open FROM identity_findings WHERE resolved_at IS NULL GROUP BY kind')
    .all() as { kind: IdentityFindingKind; open: number }[];
}

export interface StoredSourceState extends SourceState {
  kind: string;
  lastAttemptAt: string;
  lastRead: number;
}

export function loadIdentitySourceStates(store: Store): StoredSourceState[] {
  return store.sqlite
    .prepare(
      `SELECT name, kind, last_count AS lastCount, last_success_at AS lastSuccessAt, last_attempt_at AS lastAttemptAt,
              last_read AS lastRead, failing_since AS failingSince, last_error AS lastError, held_reads AS heldReads
       FROM identity_sources ORDER BY name`,
    )
    .all() as StoredSourceState[];
}

export interface RecordIdentitySyncInput {
  startedAt: string;
  finishedAt: string;
  status: RunStatus;
  error: string | null;
  decisions: readonly (SourceDecision & { kind: IdentitySourceKind })[];
  diff: IdentityFindingsDiff;
  events: readonly EventDraft[];
  stats: FetchStats;
  source: string;
  deliveries: DeliveryTargets;
}

function userKeyOf(f: IdentityFinding): string | null {
  return f.username === null ? null : f.username.toLowerCase();
}

export function recordIdentitySync(
  store: Store,
  input: RecordIdentitySyncInput,
): { runId: number; events: StoredEvent[] } {
  requireTransaction(store, 'recordIdentitySync');
  const runId = insertRun(store, {
    kind: 'identity',
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    status: input.status,
    strategy: null,
    stats: input.stats,
    counts: null,
    failedScopes: [],
    changeCount: input.events.length,
    error: input.error,
    rosterHash: null,
  });
  const db = store.sqlite;
  const upsertSource = db.prepare(
    `INSERT INTO identity_sources (name, kind, last_count, last_success_at, last_attempt_at, last_read, failing_since, last_error, held_reads)
     VALUES (@name, @kind, @lastCount, @lastSuccessAt, @at, @read, @failingSince, @lastError, @heldReads)
     ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, last_count = excluded.last_count,
       last_success_at = excluded.last_success_at, last_attempt_at = excluded.last_attempt_at,
       last_read = excluded.last_read, failing_since = excluded.failing_since,
       last_error = excluded.last_error, held_reads = excluded.held_reads`,
  );
  for (const d of input.decisions) {
    upsertSource.run({ ...d.next, kind: d.kind, at: input.finishedAt, read: d.read });
  }
  const insert = db.prepare(
    `INSERT INTO identity_findings (key, kind, username_key, data, first_seen, first_run_id, last_run_id) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const resolve = db.prepare(
    'UPDATE identity_findings SET resolved_at = ?, last_run_id = ? WHERE key = ? AND resolved_at IS NULL',
  );
  const refresh = db.prepare(
    'UPDATE identity_findings SET data = ?, last_run_id = ? WHERE key = ? AND resolved_at IS NULL',
  );
  for (const o of input.diff.resolved) resolve.run(input.finishedAt, runId, o.finding.key);
  for (const f of input.diff.appeared)
    insert.run(f.key, f.kind, userKeyOf(f), JSON.stringify(f), input.finishedAt, runId, runId);
  for (const f of input.diff.still) refresh.run(JSON.stringify(f), runId, f.key);
  const events = appendRunEvents(
    store,
    input.events,
    { source: input.source, runId, time: input.finishedAt },
    input.deliveries,
  );
  return { runId, events };
}
