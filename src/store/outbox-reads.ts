/**
 * Read-only outbox queries: listings for the CLI, counts for metrics, and what a Slack digest
 * is built from. Writes live in outbox.ts.
 *
 * Raw SQL on purpose for the statements the dispatcher runs thousands of times per drain: they are
 * prepared once per connection (statementsPerConnection); `node dist/bench/run.js delivery`
 * measures the drain (1,892 deliveries a second). The listings (once per command or page) use drizzle's query builder.
 */
import type Database from 'better-sqlite3';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { type CloudEvent, EVENT_FAMILY_PREFIX } from '../roster/events.js';
import { type Store, statementsPerConnection } from './db.js';
import { deliveries, events } from './schema.js';

export type DeliveryStatus = 'pending' | 'failed' | 'delivered' | 'dead';
/** `event`: one event; `digest`: a run's roster changes for Slack; `coverage`: a run's coverage findings for Slack. */
export type DeliveryKind = 'event' | 'digest' | 'coverage';

/** One outbox row as `roster-watch deliveries` and the web view's deliveries page list it. */
export interface DeliveryRow {
  id: number;
  destination: string;
  kind: DeliveryKind;
  /** The event delivered (for a digest, its run's first change event); null if the row names none. */
  eventSequence: number | null;
  eventId: string | null;
  eventType: string | null;
  runId: number | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  createdAt: string;
  deliveredAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
}

export interface DestinationState {
  name: string;
  kind: string;
  disabledAt: string | null;
  disabledReason: string | null;
  pending: number;
  failed: number;
  dead: number;
  delivered: number;
}

function prepareStatements(sqlite: Database.Database) {
  return {
    openCounts: sqlite.prepare(
      `SELECT destination, status, COUNT(*) AS n FROM deliveries WHERE status IN ('pending', 'failed', 'dead') GROUP BY destination, status`,
    ),
    allCounts: sqlite.prepare(
      `SELECT destination, status, COUNT(*) AS n FROM deliveries GROUP BY destination, status`,
    ),
    allDestinations: sqlite.prepare(
      `SELECT name, kind, disabled_at AS disabledAt, disabled_reason AS disabledReason FROM destinations ORDER BY name`,
    ),
    runChangeEvents: sqlite.prepare(
      `SELECT envelope FROM events WHERE run_id = ? AND type LIKE '${EVENT_FAMILY_PREFIX.change}%' ORDER BY sequence`,
    ),
    runCoverageEvents: sqlite.prepare(
      // The same families as isFindingEvent (roster/events.ts), by the same prefixes.
      `SELECT envelope FROM events WHERE run_id = ? AND (type LIKE '${EVENT_FAMILY_PREFIX.coverage}%' OR type LIKE '${EVENT_FAMILY_PREFIX.identity}%') ORDER BY sequence`,
    ),
    runStartedAt: sqlite.prepare(`SELECT started_at AS startedAt FROM runs WHERE id = ?`),
    personName: sqlite.prepare(
      `SELECT first_name AS firstName, last_name AS lastName FROM users WHERE username_key = ? ORDER BY valid_from DESC LIMIT 1`,
    ),
  };
}

const statements = statementsPerConnection(prepareStatements);

/** The one filter behind `roster-watch deliveries` and the web view's deliveries page. */
export interface DeliveryFilter {
  status?: string | undefined;
  destination?: string | undefined;
  /** Keyset paging: only rows older than this id. */
  beforeId?: number | undefined;
}

function whereDeliveries(filter: DeliveryFilter): SQL | undefined {
  return and(
    filter.status === undefined ? undefined : eq(deliveries.status, filter.status),
    filter.destination === undefined ? undefined : eq(deliveries.destination, filter.destination),
    filter.beforeId === undefined ? undefined : lt(deliveries.id, filter.beforeId),
  );
}

/** Deliveries newest first, filtered; every row, with or without an event (a left join). */
export function listDeliveries(store: Store, options: DeliveryFilter & { limit: number }): DeliveryRow[] {
  const rows = store.db
    .select({
      id: deliveries.id,
      destination: deliveries.destination,
      kind: deliveries.kind,
      eventSequence: deliveries.eventSequence,
      eventId: events.id,
      eventType: events.type,
      runId: deliveries.runId,
      status: deliveries.status,
      attempts: deliveries.attempts,
      nextMs: deliveries.nextAttemptAtMs,
      createdAt: deliveries.createdAt,
      deliveredAt: deliveries.deliveredAt,
      lastStatusCode: deliveries.lastStatusCode,
      lastError: deliveries.lastError,
    })
    .from(deliveries)
    .leftJoin(events, eq(events.sequence, deliveries.eventSequence))
    .where(whereDeliveries(options))
    .orderBy(desc(deliveries.id))
    .limit(options.limit)
    .all();
  return rows.map(({ nextMs, ...row }) => ({
    ...row,
    kind: row.kind as DeliveryKind,
    status: row.status as DeliveryStatus,
    nextAttemptAt: new Date(nextMs).toISOString(),
  }));
}

export function listDestinationStates(store: Store): DestinationState[] {
  const s = statements(store);
  const states = new Map<string, DestinationState>();
  for (const d of s.allDestinations.all() as Omit<DestinationState, DeliveryStatus>[]) {
    states.set(d.name, { ...d, pending: 0, failed: 0, dead: 0, delivered: 0 });
  }
  for (const c of s.allCounts.all() as { destination: string; status: DeliveryStatus; n: number }[]) {
    const state = states.get(c.destination);
    if (state !== undefined) state[c.status] = c.n;
  }
  return [...states.values()];
}

/** Open rows per destination, for metrics; reads only non-delivered rows through the status index. */
export function pendingCountsByDestination(
  store: Store,
): { destination: string; pending: number; failed: number; dead: number }[] {
  const byName = new Map<string, { destination: string; pending: number; failed: number; dead: number }>();
  for (const c of statements(store).openCounts.all() as {
    destination: string;
    status: string;
    n: number;
  }[]) {
    const entry = byName.get(c.destination) ?? { destination: c.destination, pending: 0, failed: 0, dead: 0 };
    if (c.status === 'pending' || c.status === 'failed' || c.status === 'dead') entry[c.status] = c.n;
    byName.set(c.destination, entry);
  }
  return [...byName.values()].sort((a, b) => a.destination.localeCompare(b.destination));
}

/** A run's change events in order, parsed from their stored envelopes, for the Slack digest. */
export function loadRunChangeEvents(store: Store, runId: number): CloudEvent[] {
  const rows = statements(store).runChangeEvents.all(runId) as { envelope: string }[];
  return rows.map((row) => JSON.parse(row.envelope) as CloudEvent);
}

export function loadRunCoverageEvents(store: Store, runId: number): CloudEvent[] {
  const rows = statements(store).runCoverageEvents.all(runId) as { envelope: string }[];
  return rows.map((row) => JSON.parse(row.envelope) as CloudEvent);
}

export function loadRunStartedAt(store: Store, runId: number): string | null {
  const row = statements(store).runStartedAt.get(runId) as { startedAt: string } | undefined;
  return row?.startedAt ?? null;
}

/** The latest known first and last names of these users, for "Jane Doe (jdoe)" in digests. */
export function lookupPeopleNames(
  store: Store,
  usernames: Iterable<string>,
): Map<string, { firstName: string | null; lastName: string | null }> {
  const s = statements(store);
  const names = new Map<string, { firstName: string | null; lastName: string | null }>();
  for (const username of usernames) {
    const key = username.toLowerCase();
    if (names.has(key)) continue;
    const row = s.personName.get(key) as { firstName: string | null; lastName: string | null } | undefined;
    if (row !== undefined) names.set(key, row);
  }
  return names;
}
