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
import type { FetchStats } from '../roster/types.js';
import { requireTransaction, type Store } from './db.js';
import type { StoredEvent } from './events.js';
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
  const open = (key: string) => and(eq(identityFindings.key, key), isNull(identityFindings.resolvedAt));
  for (const o of input.diff.resolved) {
    db.update(identityFindings)
      .set({ resolvedAt: input.finishedAt, lastRunId: runId })
      .where(open(o.finding.key))
      .run();
  }
  for (const f of input.diff.appeared) {
    db.insert(identityFindings)
      .values({
        key: f.key,
        kind: f.kind,
        usernameKey: userKeyOf(f),
        data: JSON.stringify(f),
        firstSeen: input.finishedAt,
        firstRunId: runId,
        lastRunId: runId,
      })
      .run();
  }
  for (const f of input.diff.still) {
    db.update(identityFindings)
      .set({ data: JSON.stringify(f), lastRunId: runId })
      .where(open(f.key))
      .run();
  }
  const events = appendRunEvents(
    store,
    input.events,
    { source: input.source, runId, time: input.finishedAt },
    input.deliveries,
  );
  return { runId, events };
}
