/**
 * Identity reconciliation's SQLite reads and writes: the findings (open while resolved_at IS
 * NULL, never deleted), each source's health, and one sync recorded inside the caller's ONE
 * synchronous transaction with its run row, events and outbox rows.
 */

import { and, asc, count, eq, isNull } from 'drizzle-orm';
import type { EventDraft } from '../roster/events.js';
import type { SourceDecision, SourceState, UnknownStatus } from '../roster/identity-findings.js';
import type {
  IdentityFinding,
  IdentityFindingKind,
  IdentityFindingsDiff,
  IdentitySourceKind,
} from '../roster/identity-types.js';
import type { RunStatus } from '../roster/poll-decision.js';
import { type FetchStats, usernameKey } from '../roster/types.js';
import { requireTransaction, type Store } from './db.js';
import type { StoredEvent } from './events.js';
import { saveSeenRun, seesExactly } from './findings.js';
import { appendRunEvents, type DeliveryTargets } from './run-events.js';
import { insertRun } from './runs.js';
import { identityFindings, identitySources } from './schema.js';

export interface StoredIdentityFinding {
  finding: IdentityFinding;
  firstSeen: string;
  resolvedAt: string | null;
}

const findingColumns = {
  data: identityFindings.data,
  firstSeen: identityFindings.firstSeen,
  resolvedAt: identityFindings.resolvedAt,
};

const fromRow = (row: {
  data: string;
  firstSeen: string;
  resolvedAt: string | null;
}): StoredIdentityFinding => ({
  finding: JSON.parse(row.data) as IdentityFinding,
  firstSeen: row.firstSeen,
  resolvedAt: row.resolvedAt,
});

/** Open identity findings, oldest first. */
export function loadOpenIdentityFindings(store: Store): StoredIdentityFinding[] {
  return store.db
    .select(findingColumns)
    .from(identityFindings)
    .where(isNull(identityFindings.resolvedAt))
    .orderBy(asc(identityFindings.firstSeen), asc(identityFindings.key))
    .all()
    .map(fromRow);
}

/** One user's open identity findings (for `offboard-check`). */
export function loadOpenIdentityFindingsFor(store: Store, usernameKey: string): StoredIdentityFinding[] {
  return store.db
    .select(findingColumns)
    .from(identityFindings)
    .where(and(eq(identityFindings.usernameKey, usernameKey), isNull(identityFindings.resolvedAt)))
    .orderBy(asc(identityFindings.key))
    .all()
    .map(fromRow);
}

export function countOpenIdentityFindingsByKind(store: Store): { kind: IdentityFindingKind; open: number }[] {
  return store.db
    .select({ kind: identityFindings.kind, open: count() })
    .from(identityFindings)
    .where(isNull(identityFindings.resolvedAt))
    .groupBy(identityFindings.kind)
    .all() as { kind: IdentityFindingKind; open: number }[];
}

export interface StoredSourceState extends SourceState {
  kind: string;
  lastAttemptAt: string;
  lastRead: number;
}

function unknownStatusesOf(json: string): UnknownStatus[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? (parsed as UnknownStatus[]) : [];
  } catch {
    return [];
  }
}

export function loadIdentitySourceStates(store: Store): StoredSourceState[] {
  return store.db
    .select()
    .from(identitySources)
    .orderBy(asc(identitySources.name))
    .all()
    .map((row) => ({ ...row, unknownStatuses: unknownStatusesOf(row.unknownStatuses) }));
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

/** The finding's user as `users.username_key` spells it, so a user's findings are found by that key. */
function userKeyOf(f: IdentityFinding): string | null {
  return f.username === null ? null : usernameKey(f.username);
}

/**
 * Writes a sync's findings diff, each statement prepared once (a drizzle update built per finding
 * cost ~1,200 builds per sync of the benchmark's org). A diff that accounts for every open identity
 * finding (as the identity cycle makes it) records the run as the family's seen run and leaves the
 * rows of findings seen unchanged alone, as coverage findings do (findings.ts): an unchanged sync
 * rewrote every open row, ~1,200 of them. Any other diff rewrites every finding it names.
 */
function writeIdentityFindings(store: Store, diff: IdentityFindingsDiff, runId: number, atIso: string): void {
  const db = store.sqlite;
  const whole = accountsForEveryOpenFinding(store, diff);
  const resolve = db.prepare(
    'UPDATE identity_findings SET resolved_at = ?, last_run_id = ? WHERE key = ? AND resolved_at IS NULL',
  );
  for (const o of diff.resolved) resolve.run(atIso, runId, o.finding.key);
  const insert = db.prepare(
    `INSERT INTO identity_findings (key, kind, username_key, data, first_seen, first_run_id, last_run_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const f of diff.appeared)
    insert.run(f.key, f.kind, userKeyOf(f), JSON.stringify(f), atIso, runId, runId);
  // Unchanged rows are not matched, so their pages are not written.
  const seen = db.prepare(
    `UPDATE identity_findings SET data = ?, last_run_id = ? WHERE key = ? AND resolved_at IS NULL${
      whole ? ' AND data IS NOT ?' : ''
    }`,
  );
  for (const f of diff.still) {
    const data = JSON.stringify(f);
    if (whole) seen.run(data, runId, f.key, data);
    else seen.run(data, runId, f.key);
  }
  if (whole) saveSeenRun(store, 'identity', runId);
}

/**
 * Whether the diff resolves or still sees every open identity finding and names nothing else open.
 * Read before it is written. Open rows have distinct keys (identity_findings_open_uq).
 */
function accountsForEveryOpenFinding(store: Store, diff: IdentityFindingsDiff): boolean {
  const open = store.sqlite
    .prepare('SELECT key FROM identity_findings WHERE resolved_at IS NULL')
    .pluck()
    .all() as string[];
  return seesExactly(open, diff);
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
  const db = store.db;
  for (const d of input.decisions) {
    const state = {
      kind: d.kind,
      lastCount: d.next.lastCount,
      lastSuccessAt: d.next.lastSuccessAt,
      lastAttemptAt: input.finishedAt,
      lastRead: d.read,
      failingSince: d.next.failingSince,
      lastError: d.next.lastError,
      heldReads: d.next.heldReads,
      lastActive: d.next.lastActive,
      lastInactive: d.next.lastInactive,
      heldFingerprint: d.next.heldFingerprint,
      statusColumnSeen: d.next.statusColumnSeen,
      unknownCount: d.next.unknownCount,
      unknownStatuses: JSON.stringify(d.next.unknownStatuses),
    };
    db.insert(identitySources)
      .values({ name: d.next.name, ...state })
      .onConflictDoUpdate({ target: identitySources.name, set: state })
      .run();
  }
  writeIdentityFindings(store, input.diff, runId, input.finishedAt);
  const events = appendRunEvents(
    store,
    input.events,
    { source: input.source, runId, time: input.finishedAt },
    input.deliveries,
  );
  return { runId, events };
}
