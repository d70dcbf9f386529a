/**
 * The web view's event timeline: newest first by (time, sequence), keyset-paginated.
 *
 * A filter is turned into one or more "branches", each an index range on (type | subject | team
 * slug, time) walked backwards from the cursor and bounded by the date range, and the branches are
 * merged here. That keeps every page proportional to its size, whatever the filter: a rare type
 * or a date range a year back does not make SQLite walk a million rows looking for it.
 *
 * Raw SQL on purpose: the page benchmark (`node dist/bench/run.js ui`) depends on each query using
 * exactly the index it was written for, which hand-written SQL keeps visible and stable (every
 * timeline page ≤ 20 ms at p95 on a million events under load, 2026-11-30, docs/benchmarks.md).
 */
import type { Store } from './db.js';

export interface TimelineQuery {
  /** An exact type, or a prefix pattern ending in `*` such as `victorops.user.*` (as `history --type`). */
  type?: string | undefined;
  user?: string | undefined;
  team?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** The keyset cursor: only events older than this one (by time, then sequence). */
  before?: number | undefined;
  limit: number;
}

export interface TimelineEvent {
  sequence: number;
  id: string;
  type: string;
  subject: string;
  time: string;
  runId: number | null;
  envelope: string;
}

/** The SQL expression indexed by `events_team_slug_time_idx`; queries must spell it exactly so. */
export const TEAM_SLUG_EXPRESSION = "json_extract(envelope, '$.data.team.slug')";

/**
 * Every distinct event type recorded, by a loose index scan over `events_type_idx`: one index
 * seek per type instead of reading every row.
 */
export function loadEventTypes(store: Store): string[] {
  const rows = store.sqlite
    .prepare(
      `WITH RECURSIVE t(type) AS (
         SELECT (SELECT MIN(type) FROM events)
         UNION ALL
         SELECT (SELECT MIN(type) FROM events WHERE type > t.type) FROM t WHERE t.type IS NOT NULL
       ) SELECT type FROM t WHERE type IS NOT NULL`,
    )
    .all() as { type: string }[];
  return rows.map((r) => r.type);
}

/** The types a `--type` value selects, out of the recorded ones. */
export function matchEventTypes(pattern: string, known: readonly string[]): string[] {
  if (!pattern.endsWith('*')) return known.includes(pattern) ? [pattern] : [];
  const prefix = pattern.slice(0, -1);
  return known.filter((t) => t.startsWith(prefix));
}

/** The spellings a username was recorded with (usernames compare case-insensitively). */
export function loadUsernameSpellings(store: Store, username: string): string[] {
  const rows = store.sqlite
    .prepare('SELECT DISTINCT username FROM users WHERE username_key = ?')
    .all(username.toLowerCase()) as { username: string }[];
  const spellings = new Set(rows.map((r) => r.username));
  spellings.add(username);
  return [...spellings];
}

interface Branch {
  where: string;
  params: (string | number)[];
}

/** Events newest first (by time, then sequence); the result has at most `limit` rows. */
export function loadTimeline(store: Store, query: TimelineQuery): TimelineEvent[] {
  const residual: string[] = [];
  const residualParams: (string | number)[] = [];
  let types: string[] | null = null;
  if (query.type !== undefined) {
    types = matchEventTypes(query.type, loadEventTypes(store));
    if (types.length === 0) return [];
  }
  if (query.since !== undefined) {
    residual.push('time >= ?');
    residualParams.push(query.since);
  }
  if (query.until !== undefined) {
    residual.push('time < ?');
    residualParams.push(query.until);
  }
  if (query.before !== undefined) {
    const cursor = store.sqlite.prepare('SELECT time FROM events WHERE sequence = ?').get(query.before) as
      | { time: string }
      | undefined;
    if (cursor === undefined) return [];
    // `time <= ?` is the index range; the second term only drops the cursor's own instant's newer rows.
    residual.push('time <= ? AND (time < ? OR sequence < ?)');
    residualParams.push(cursor.time, cursor.time, query.before);
  }

  let branches: Branch[];
  if (query.user !== undefined) {
    branches = loadUsernameSpellings(store, query.user).map((s) => ({ where: 'subject = ?', params: [s] }));
    if (query.team !== undefined) {
      residual.push(`(subject = ? OR ${TEAM_SLUG_EXPRESSION} = ?)`);
      residualParams.push(query.team, query.team);
    }
  } else if (query.team !== undefined) {
    branches = [
      { where: 'subject = ?', params: [query.team] },
      { where: `${TEAM_SLUG_EXPRESSION} = ?`, params: [query.team] },
    ];
  } else if (types !== null) {
    branches = types.map((t) => ({ where: 'type = ?', params: [t] }));
    types = null;
  } else {
    branches = [{ where: '1 = 1', params: [] }];
  }
  if (types !== null) {
    residual.push(`type IN (${types.map(() => '?').join(', ')})`);
    residualParams.push(...types);
  }

  const seen = new Map<number, TimelineEvent>();
  for (const branch of branches) {
    const where = [branch.where, ...residual].join(' AND ');
    const rows = store.sqlite
      .prepare(
        `SELECT sequence, id, type, subject, time, run_id AS runId, envelope FROM events
         WHERE ${where} ORDER BY time DESC, sequence DESC LIMIT ?`,
      )
      .all(...branch.params, ...residualParams, query.limit) as TimelineEvent[];
    for (const row of rows) seen.set(row.sequence, row);
  }
  return [...seen.values()]
    .sort((a, b) => (a.time === b.time ? b.sequence - a.sequence : a.time < b.time ? 1 : -1))
    .slice(0, query.limit);
}

/** One event by sequence, for its permalink. */
export function loadEvent(store: Store, sequence: number): TimelineEvent | undefined {
  return store.sqlite
    .prepare(
      'SELECT sequence, id, type, subject, time, run_id AS runId, envelope FROM events WHERE sequence = ?',
    )
    .get(sequence) as TimelineEvent | undefined;
}

/** The events a run recorded, in order (a run's page). */
export function loadRunEvents(store: Store, runId: number, limit: number): TimelineEvent[] {
  return store.sqlite
    .prepare(
      `SELECT sequence, id, type, subject, time, run_id AS runId, envelope FROM events
       WHERE run_id = ? ORDER BY sequence LIMIT ?`,
    )
    .all(runId, limit) as TimelineEvent[];
}
