import type { Store } from './db.js';

export interface OrgSizePoint {
  day: string;
  users: number;
  teams: number;
  memberships: number;
}

/** A day as the viewer reads it: its label and the UTC instants it runs over, [from, to). */
export interface DaySpan {
  day: string;
  fromIso: string;
  toIso: string;
}

/** The spans as one JSON parameter, read back with json_each: one statement for any number of days. */
const spansJson = (days: readonly DaySpan[]) => JSON.stringify(days.map((d) => [d.day, d.fromIso, d.toIso]));

/**
 * Org size per day from the roster runs' recorded counts: the last counted run of each day.
 * Runs count what they fetched, so this needs no walk through the history tables. The days are
 * the viewer's (a local day is not a UTC date), so they come in as spans of instants, and each
 * is one seek on the start-time index.
 */
export function loadOrgSizeByDay(store: Store, days: readonly DaySpan[]): OrgSizePoint[] {
  // Raw SQL: a correlated subquery per row of json_each, which the builder has no form for. The
  // unary + keeps SQLite off runs_kind_idx (every roster run, per day: 2.5 s on the 1M-event
  // benchmark) so it takes the start-time index (one short range per day).
  return store.sqlite
    .prepare(
      `SELECT d.value ->> 0 AS day, r.user_count AS users, r.team_count AS teams,
              r.membership_count AS memberships
       FROM json_each(?) d
       JOIN runs r ON r.id = (
         SELECT id FROM runs
         WHERE started_at >= d.value ->> 1 AND started_at < d.value ->> 2
           AND +kind = 'roster' AND user_count IS NOT NULL AND membership_count IS NOT NULL
         ORDER BY started_at DESC, id DESC LIMIT 1)
       ORDER BY d.key`,
    )
    .all(spansJson(days)) as OrgSizePoint[];
}

/** Changes recorded per day (the runs' change counts), in the order of the days given; days without a run are left out. */
export function loadChangesByDay(store: Store, days: readonly DaySpan[]): { day: string; changes: number }[] {
  // Raw SQL: a correlated subquery per row of json_each, which the builder has no form for.
  return store.sqlite
    .prepare(
      `SELECT day, changes FROM (
         SELECT d.key AS k, d.value ->> 0 AS day,
           (SELECT SUM(change_count) FROM runs
            WHERE started_at >= d.value ->> 1 AND started_at < d.value ->> 2) AS changes
         FROM json_each(?) d)
       WHERE changes IS NOT NULL ORDER BY k`,
    )
    .all(spansJson(days)) as { day: string; changes: number }[];
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
