/**
 * The outbox: every SQLite read and write the delivery side makes. Rows are created in the
 * caller's transaction (`enqueueDeliveries`), claimed with a short lease, and only marked
 * delivered after a 2xx, so a crash at any moment leaves each row delivered or due again.
 *
 * Statements are prepared once per connection: the dispatcher drains thousands of rows a second
 * and re-preparing them would dominate that cost.
 *
 * That is why this module is raw SQL rather than drizzle's query builder; `node dist/bench/run.js
 * delivery` measures the drain (1,892 deliveries a second, docs/benchmarks.md, issue 4).
 */

import type Database from 'better-sqlite3';
import { OutboxError } from '../errors.js';
import { scrubForLog } from '../redact.js';
import { type DestinationSpec, type PlannedDelivery, planDeliveries } from '../roster/delivery-plan.js';
import { type EventDraft, isChangeEvent, isFindingEvent } from '../roster/events.js';
import { inTransaction, type Store, statementsPerConnection } from './db.js';
import { appendEvents } from './events.js';
import type { DeliveryKind, DeliveryStatus } from './outbox-reads.js';

export type AttemptOutcome = 'delivered' | 'failed' | 'dead' | 'disabled';

export interface ClaimedDelivery {
  id: number;
  destination: string;
  kind: DeliveryKind;
  eventSequence: number;
  runId: number | null;
  /** Attempts made before this one. */
  attempts: number;
  eventId: string;
  eventType: string;
  /** The stored CloudEvent JSON, sent byte for byte. */
  envelope: string;
}

export interface AttemptRecord {
  deliveryId: number;
  attemptedAtMs: number;
  statusCode: number | null;
  latencyMs: number;
  outcome: AttemptOutcome;
  /** Short, secret-free excerpt; truncated to 300 characters here whatever the caller passes. */
  error: string | null;
  /** When the row is due again (ignored for delivered and dead). */
  nextAttemptAtMs: number;
}

export type RequeueSelector =
  | { eventId: string; destination?: string | undefined }
  | { dead: true; destination?: string | undefined }
  | { sinceIso: string; destination?: string | undefined };

const ERROR_EXCERPT_MAX = 300;

const OPEN_ROWS_DUE = `d.destination = ? AND d.status IN ('pending', 'failed') AND d.next_attempt_at_ms <= ?`;

function prepareStatements(sqlite: Database.Database) {
  return {
    upsertDestination: sqlite.prepare(
      `INSERT INTO destinations (name, kind) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET kind = excluded.kind`,
    ),
    ensureDestination: sqlite.prepare(`INSERT OR IGNORE INTO destinations (name, kind) VALUES (?, ?)`),
    insertDelivery: sqlite.prepare(
      `INSERT OR IGNORE INTO deliveries (destination, kind, event_sequence, run_id, status, attempts, next_attempt_at_ms, created_at)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)`,
    ),
    selectDue: sqlite.prepare(
      `SELECT d.id, d.destination, d.kind, d.event_sequence AS eventSequence, d.run_id AS runId, d.attempts,
              e.id AS eventId, e.type AS eventType, e.envelope
       FROM deliveries d JOIN events e ON e.sequence = d.event_sequence
       WHERE ${OPEN_ROWS_DUE}
       ORDER BY d.event_sequence, d.id LIMIT ?`,
    ),
    lease: sqlite.prepare(`UPDATE deliveries SET next_attempt_at_ms = ? WHERE id = ?`),
    insertAttempt: sqlite.prepare(
      `INSERT INTO delivery_attempts (delivery_id, attempted_at, status_code, latency_ms, outcome, error) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    updateAfterAttempt: sqlite.prepare(
      `UPDATE deliveries SET status = ?, attempts = attempts + 1, next_attempt_at_ms = ?, delivered_at = ?,
              last_status_code = ?, last_error = ? WHERE id = ?`,
    ),
    nextDue: sqlite.prepare(
      `SELECT MIN(next_attempt_at_ms) AS next FROM deliveries WHERE status IN ('pending', 'failed') AND destination = ?`,
    ),
    destination: sqlite.prepare(
      `SELECT name, kind, disabled_at AS disabledAt, disabled_reason AS disabledReason FROM destinations WHERE name = ?`,
    ),
    disable: sqlite.prepare(
      `UPDATE destinations SET disabled_at = ?, disabled_reason = ? WHERE name = ? AND disabled_at IS NULL`,
    ),
    enable: sqlite.prepare(
      `UPDATE destinations SET disabled_at = NULL, disabled_reason = NULL WHERE name = ?`,
    ),
    eventById: sqlite.prepare(`SELECT sequence, run_id AS runId, type FROM events WHERE id = ?`),
    waitingFor: sqlite.prepare(
      `SELECT COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'failed') AND destination = ?`,
    ),
  };
}

const statements = statementsPerConnection(prepareStatements);

/** Records the configured destinations by name and kind only: URLs and secrets stay in config. */
export function syncDestinations(store: Store, specs: readonly DestinationSpec[]): void {
  const s = statements(store);
  inTransaction(store, () => {
    for (const spec of specs) s.upsertDestination.run(spec.name, spec.kind);
  });
}

/**
 * Stores planned rows, due at `nowMs`. Synchronous and transaction-free so the poll can call it
 * inside its own transaction; re-planning the same event is a no-op (unique indexes).
 */
export function enqueueDeliveries(store: Store, planned: readonly PlannedDelivery[], nowMs: number): number {
  const s = statements(store);
  const createdAt = new Date(nowMs).toISOString();
  const seen = new Set<string>();
  let inserted = 0;
  for (const row of planned) {
    if (!seen.has(row.destination)) {
      s.ensureDestination.run(row.destination, row.destinationKind);
      seen.add(row.destination);
    }
    inserted += s.insertDelivery.run(
      row.destination,
      row.kind,
      row.eventSequence,
      row.runId,
      nowMs,
      createdAt,
    ).changes;
  }
  return inserted;
}

/**
 * Takes up to `limit` of a destination's due rows, oldest event first, and leases them until
 * `nowMs + leaseMs`: another process polling the same database skips them meanwhile, and a
 * crashed sender's rows become due again when the lease runs out.
 */
export function claimDueDeliveries(
  store: Store,
  options: { destination: string; nowMs: number; limit: number; leaseMs: number; dueAtOrBeforeMs?: number },
): ClaimedDelivery[] {
  const s = statements(store);
  return inTransaction(store, () => {
    const rows = s.selectDue.all(
      options.destination,
      options.dueAtOrBeforeMs ?? options.nowMs,
      options.limit,
    ) as ClaimedDelivery[];
    for (const row of rows) s.lease.run(options.nowMs + options.leaseMs, row.id);
    return rows;
  });
}

/** Writes the attempt and the row's new state together, so the log and the outbox never disagree. */
export function recordAttempt(store: Store, attempt: AttemptRecord): void {
  const s = statements(store);
  const at = new Date(attempt.attemptedAtMs).toISOString();
  // Scrubbed here as well as by the senders: nothing that names a URL's path or query is stored.
  const error = attempt.error === null ? null : scrubForLog(attempt.error, ERROR_EXCERPT_MAX);
  const status: DeliveryStatus =
    attempt.outcome === 'delivered' ? 'delivered' : attempt.outcome === 'dead' ? 'dead' : 'failed';
  inTransaction(store, () => {
    s.insertAttempt.run(
      attempt.deliveryId,
      at,
      attempt.statusCode,
      attempt.latencyMs,
      attempt.outcome,
      error,
    );
    s.updateAfterAttempt.run(
      status,
      status === 'failed' ? attempt.nextAttemptAtMs : attempt.attemptedAtMs,
      status === 'delivered' ? at : null,
      attempt.statusCode,
      error,
      attempt.deliveryId,
    );
  });
}

/** When the destination's next open row is due (leases included), or null when none is open. */
export function nextDueAtMs(store: Store, destination: string): number | null {
  const row = statements(store).nextDue.get(destination) as { next: number | null };
  return row.next;
}

/**
 * Makes matching rows due now with a fresh retry schedule, keeping the same event (and so the
 * same `webhook-id`, which receivers deduplicate on). The attempt log is kept.
 */
export function requeueDeliveries(store: Store, selector: RequeueSelector, nowMs: number): number {
  const where: string[] = [];
  const params: (string | number | null)[] = [nowMs];
  if ('eventId' in selector) {
    const event = statements(store).eventById.get(selector.eventId) as
      | { sequence: number; runId: number | null; type: string }
      | undefined;
    if (event === undefined) throw new OutboxError('unknown-event', `no event with id ${selector.eventId}`);
    // A change event also reached Slack inside its run's digest.
    where.push(
      `(event_sequence = ? OR (kind = 'digest' AND run_id = ?) OR (kind = 'coverage' AND run_id = ?))`,
    );
    params.push(
      event.sequence,
      isChangeEvent(event.type) ? event.runId : null,
      // A coverage event may have reached Slack inside its run's coverage summary.
      isFindingEvent(event.type) ? event.runId : null,
    );
  } else if ('dead' in selector) {
    where.push(`status = 'dead'`);
  } else {
    const since = Date.parse(selector.sinceIso);
    if (Number.isNaN(since))
      throw new OutboxError('bad-selector', `not an ISO-8601 time: ${selector.sinceIso}`);
    where.push('event_sequence IN (SELECT sequence FROM events WHERE time >= ?)');
    params.push(new Date(since).toISOString());
  }
  if (selector.destination !== undefined) {
    where.push('destination = ?');
    params.push(selector.destination);
  }
  return store.sqlite
    .prepare(
      `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at_ms = ?, delivered_at = NULL
       WHERE ${where.join(' AND ')}`,
    )
    .run(...params).changes;
}

/** Returns true when this call disabled it (false when already disabled or unknown). */
export function disableDestination(store: Store, name: string, reason: string, nowMs: number): boolean {
  const stored = scrubForLog(reason, ERROR_EXCERPT_MAX);
  return statements(store).disable.run(new Date(nowMs).toISOString(), stored, name).changes > 0;
}

/**
 * Re-enables a destination disabled after 410 Gone and, in the same transaction, stores the
 * `rosterwatch.endpoint.enabled` notice (no `runid`) with its outbox rows for `notify`, the
 * configured destinations: whoever heard that it was disabled hears that it is back.
 */
export function enableDestination(
  store: Store,
  name: string,
  notice: { source: string; nowMs: number; notify: readonly DestinationSpec[] },
): 'enabled' | 'not-disabled' | 'unknown' {
  const s = statements(store);
  return inTransaction(store, () => {
    const current = s.destination.get(name) as
      | { disabledAt: string | null; disabledReason: string | null }
      | undefined;
    if (current === undefined) return 'unknown';
    if (current.disabledAt === null) return 'not-disabled';
    s.enable.run(name);
    const waiting = (s.waitingFor.get(name) as { n: number }).n;
    appendNoticeEvent(store, {
      draft: {
        type: 'rosterwatch.endpoint.enabled',
        subject: name,
        data: {
          destination: name,
          disabledAt: current.disabledAt,
          reason: current.disabledReason ?? '',
          waiting,
        },
      },
      source: notice.source,
      nowMs: notice.nowMs,
      plan: (event) => planDeliveries([event], notice.notify),
    });
    return 'enabled';
  });
}

export function isDestinationDisabled(store: Store, name: string): boolean {
  const row = statements(store).destination.get(name) as { disabledAt: string | null } | undefined;
  return row !== undefined && row.disabledAt !== null;
}

/**
 * Stores a notice that no poll run produced (such as `rosterwatch.endpoint.disabled`) and its
 * outbox rows in one transaction. The envelope's `sequence` is only known after the insert, so
 * the row is inserted and then completed inside the same transaction. It carries no `runid`.
 */
export function appendNoticeEvent(
  store: Store,
  input: {
    draft: EventDraft;
    source: string;
    nowMs: number;
    plan: (event: { sequence: number; type: string; runId: null }) => PlannedDelivery[];
  },
): { sequence: number; id: string } {
  return inTransaction(store, () => {
    const [stored] = appendEvents(store, [input.draft], {
      source: input.source,
      runId: null,
      time: new Date(input.nowMs).toISOString(),
    });
    if (!stored) throw new Error('appendEvents stored no event');
    enqueueDeliveries(
      store,
      input.plan({ sequence: stored.sequence, type: stored.type, runId: null }),
      input.nowMs,
    );
    return { sequence: stored.sequence, id: stored.id };
  });
}
