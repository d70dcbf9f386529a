import type { Store } from './db.js';

export interface OrgSizePoint {
  day: string;
  users: number;
  teams: number;
  memberships: number;
}

/**
 * Org size per day from the roster runs' recorded counts: the last counted run of each day.
 * Runs count what they fetched, so this needs no walk through the history tables.
 */
export function loadOrgSizeByDay(store: Store, sinceIso: string): OrgSizePoint[] {
  // Raw SQL: a join on a subquery grouped by day, which the builder could only spell with sql`` pieces.
  return store.sqlite
    .prepare(
      `SELECT substr(r.started_at, 1, 10) AS day, r.user_count AS users, r.team_count AS teams,
              r.membership_count AS memberships
       FROM runs r JOIN (
         SELECT MAX(id) AS id FROM runs
         WHERE kind = 'roster' AND started_at >= ? AND user_count IS NOT NULL AND membership_count IS NOT NULL
         GROUP BY substr(started_at, 1, 10)
       ) last ON last.id = r.id
       ORDER BY day`,
    )
    .all(sinceIso) as OrgSizePoint[];
}

/** Changes recorded per day (the runs' change counts), newest day first. */
export function loadChangesByDay(store: Store, sinceIso: string): { day: string; changes: number }[] {
  // Raw SQL: grouped by an expression (the day), which the builder could only spell with sql`` pieces.
  return store.sqlite
    .prepare(
      `SELECT substr(started_at, 1, 10) AS day, SUM(change_count) AS changes FROM runs
       WHERE started_at >= ? GROUP BY day ORDER BY day DESC`,
    )
    .all(sinceIso) as { day: string; changes: number }[];
}

export interface DestinationHealth {
  name: string;
  kind: string;
  disabledAt: string | null;
  disabledReason: string | null;
  pending: number;
  failed: number;
  dead: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
}

/**
 * Per destination: open rows by status (through the status index) and the most recently
 * delivered row. Delivered rows are not counted: on a long history that would read them all.
 */
export function loadDeliveryHealth(store: Store): DestinationHealth[] {
  // Raw SQL: three statements prepared once, then run for every destination.
  const db = store.sqlite;
  const destinations = db
    .prepare(
      'SELECT name, kind, disabled_at AS disabledAt, disabled_reason AS disabledReason FROM destinations ORDER BY name',
    )
    .all() as Pick<DestinationHealth, 'name' | 'kind' | 'disabledAt' | 'disabledReason'>[];
  const count = db.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE status = ? AND destination = ?');
  const lastDelivered = db.prepare(
    `SELECT delivered_at AS at FROM deliveries WHERE status = 'delivered' AND destination = ?
     ORDER BY next_attempt_at_ms DESC LIMIT 1`,
  );
  const lastError = db.prepare(
    `SELECT last_error AS error FROM deliveries WHERE status IN ('failed', 'dead') AND destination = ?
     AND last_error IS NOT NULL ORDER BY next_attempt_at_ms DESC LIMIT 1`,
  );
  return destinations.map((d) => {
    const n = (status: string) => (count.get(status, d.name) as { n: number }).n;
    return {
      ...d,
      pending: n('pending'),
      failed: n('failed'),
      dead: n('dead'),
      lastDeliveredAt: (lastDelivered.get(d.name) as { at: string | null } | undefined)?.at ?? null,
      lastError: (lastError.get(d.name) as { error: string } | undefined)?.error ?? null,
    };
  });
}

/** The first and last recorded instants, for the roster picker's bounds; null on an empty history. */
export function loadHistoryBounds(store: Store): { first: string | null; last: string | null } {
  // Raw SQL: two scalar subqueries in a SELECT without FROM, which the builder has no form for.
  return store.sqlite
    .prepare(
      `SELECT (SELECT started_at FROM runs WHERE kind = 'roster' ORDER BY id LIMIT 1) AS first,
              (SELECT finished_at FROM runs WHERE kind = 'roster' ORDER BY id DESC LIMIT 1) AS last`,
    )
    .get() as { first: string | null; last: string | null };
}

/**
 * A token that changes whenever the recorded history may have: every write to it records a run
 * or an event. Both are the tables' largest rowids, so this is two index-free O(1) reads.
 */
export function loadHistoryVersion(store: Store): string {
  // Raw SQL: two scalar subqueries in a SELECT without FROM, which the builder has no form for.
  const row = store.sqlite
    .prepare('SELECT (SELECT MAX(id) FROM runs) AS run, (SELECT MAX(sequence) FROM events) AS event')
    .get() as { run: number | null; event: number | null };
  return `${row.run ?? 0}/${row.event ?? 0}`;
}
