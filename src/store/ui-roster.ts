/**
 * The roster at an instant and its difference to now, for the web view, computed in SQL so a
 * page costs the rows it shows plus the rows that changed since, not two whole rosters.
 *
 * Which rows the diff needs: in SCD2 a key whose state differs between T and now either had a
 * version valid at T that was closed since (valid_from <= T < valid_to) or has a current version
 * opened since (valid_to IS NULL, valid_from > T); versions opened and closed after T do not
 * matter. A key in the first set and not the second was removed, in the second and not the first
 * added, in both changed (for users, when the two versions' fields differ). Both sets are one range
 * each of the (valid_to, valid_from, key) index, read without touching the tables, and matched
 * in memory; only the rows shown are then read in full.
 *
 * Raw SQL on purpose: the page benchmark (`node dist/bench/run.js ui`) depends on each query using
 * exactly the index it was written for, which hand-written SQL keeps visible and stable (figures
 * in docs/benchmarks.md).
 */
import { USER_FIELDS, type User } from '../roster/types.js';
import type { Store } from './db.js';
import { type UserRow as UserColumns, userFromRow } from './history.js';

/** Valid at @at (an ISO instant; ISO strings compare as text, and '~' sorts after any of them). */
const VALID_AT = "valid_from <= @at AND COALESCE(valid_to, '~') > @at";

export interface RosterCounts {
  users: number;
  teams: number;
  memberships: number;
}

/** The counts at the instant, from the current ones and what changed since (no scan of the history). */
export function countsThen(now: RosterCounts, c: ChangeCounts): RosterCounts {
  return {
    users: now.users - c.usersAdded + c.usersRemoved,
    teams: now.teams - c.teamsAdded + c.teamsRemoved,
    memberships: now.memberships - c.membershipsAdded + c.membershipsRemoved,
  };
}

export function countRosterNow(store: Store): RosterCounts {
  const count = (table: string) =>
    (store.sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE valid_to IS NULL`).get() as { n: number })
      .n;
  return { users: count('users'), teams: count('teams'), memberships: count('memberships') };
}

interface UserRow extends UserColumns {
  username_key: string;
  valid_from: string;
  valid_to: string | null;
}

const USER_SELECT = `username_key, username, first_name, last_name, display_name, email, created_at,
  password_last_updated, verified, valid_from, valid_to`;

export interface RosterUserAt extends User {
  teams: string[];
}

/** Users valid at the instant, by lower-cased username after `afterKey`, with their teams then. */
export function loadRosterUsersAt(
  store: Store,
  atIso: string,
  options: { afterKey?: string | undefined; limit: number },
): RosterUserAt[] {
  const rows = store.sqlite
    .prepare(
      `SELECT ${USER_SELECT} FROM users WHERE ${VALID_AT} AND username_key > @extra ORDER BY username_key LIMIT @limit`,
    )
    .all({ at: atIso, extra: options.afterKey ?? '', limit: options.limit }) as UserRow[];
  if (rows.length === 0) return [];
  const keys = rows.map((r) => r.username_key);
  const teams = new Map<string, string[]>();
  const memberships = store.sqlite
    .prepare(
      `SELECT username_key AS key, team_slug AS team FROM memberships
       WHERE ${VALID_AT} AND username_key IN (SELECT value FROM json_each(@extra)) ORDER BY team_slug`,
    )
    .all({ at: atIso, extra: JSON.stringify(keys) }) as { key: string; team: string }[];
  for (const m of memberships) {
    const list = teams.get(m.key);
    if (list) list.push(m.team);
    else teams.set(m.key, [m.team]);
  }
  return rows.map((r) => ({ ...userFromRow(r), teams: teams.get(r.username_key) ?? [] }));
}

/**
 * Teams valid at the instant with their member counts then: the current counts (one seek per
 * team on the index of current memberships by team) corrected by the membership changes since.
 */
export function loadTeamsAt(
  store: Store,
  atIso: string,
  memberDelta: ReadonlyMap<string, number>,
): { slug: string; name: string; members: number }[] {
  const teams = store.sqlite
    .prepare(
      `SELECT slug, name,
         (SELECT COUNT(*) FROM memberships m WHERE m.team_slug = t.slug AND m.valid_to IS NULL) AS now
       FROM teams t WHERE ${VALID_AT} ORDER BY slug`,
    )
    .all({ at: atIso }) as { slug: string; name: string; now: number }[];
  return teams.map((t) => ({ slug: t.slug, name: t.name, members: t.now + (memberDelta.get(t.slug) ?? 0) }));
}

export interface FieldDifference {
  field: string;
  before: string | boolean | null;
  after: string | boolean | null;
}

export interface RosterChangesSince {
  usersAdded: User[];
  usersRemoved: User[];
  usersChanged: { before: User; after: User; changes: FieldDifference[] }[];
  teamsAdded: { slug: string; name: string }[];
  teamsRemoved: { slug: string; name: string }[];
  teamsRenamed: { slug: string; before: string; after: string }[];
  membershipsAdded: { username: string; teamSlug: string }[];
  membershipsRemoved: { username: string; teamSlug: string }[];
}

const isValidAt = (r: { valid_from: string; valid_to: string | null }, at: string) =>
  r.valid_from <= at && (r.valid_to === null || r.valid_to > at);

/**
 * Per key, its version valid at @at and closed since (then_id) and its current version opened
 * since (now_id): the two ranges of the (valid_to, valid_from, key) index, read from the index
 * alone, grouped by key. A key with only one of them was removed or added.
 */
const VERSIONS = (table: string, key: string) => `SELECT ${key},
    MAX(CASE WHEN valid_to IS NOT NULL THEN row_id END) AS then_id,
    MAX(CASE WHEN valid_to IS NULL THEN row_id END) AS now_id
  FROM (SELECT ${key}, row_id, valid_to FROM ${table} WHERE valid_to > @at AND valid_from <= @at
        UNION ALL
        SELECT ${key}, row_id, valid_to FROM ${table} WHERE valid_to IS NULL AND valid_from > @at)
  GROUP BY ${key}`;

const USER_DIFFERS = [
  'first_name',
  'last_name',
  'display_name',
  'email',
  'created_at',
  'password_last_updated',
  'verified',
]
  .map((c) => `t.${c} IS NOT n.${c}`)
  .join(' OR ');

/**
 * Users that differ between @at and now; a key with both versions is changed when their fields
 * differ (a change and its undoing since is no change), read by rowid for those keys only.
 */
const USER_CHANGES = `SELECT CASE WHEN c.then_id IS NULL THEN 'added' WHEN c.now_id IS NULL THEN 'removed' ELSE 'changed' END AS change,
    c.then_id, c.now_id, c.username_key
  FROM (${VERSIONS('users', 'username_key')}) c
  LEFT JOIN users t ON t.row_id = c.then_id LEFT JOIN users n ON n.row_id = c.now_id
  WHERE c.then_id IS NULL OR c.now_id IS NULL OR (${USER_DIFFERS})`;

/** A membership in both sets left and joined again since: the same as then, so not a change. */
const MEMBERSHIP_CHANGES = `SELECT CASE WHEN c.then_id IS NULL THEN 'added' ELSE 'removed' END AS change,
    COALESCE(c.then_id, c.now_id) AS id, c.username_key, c.team_slug
  FROM (${VERSIONS('memberships', 'username_key, team_slug')}) c
  WHERE c.then_id IS NULL OR c.now_id IS NULL`;

export interface ChangeCounts {
  usersAdded: number;
  usersRemoved: number;
  usersChanged: number;
  teamsAdded: number;
  teamsRemoved: number;
  teamsRenamed: number;
  membershipsAdded: number;
  membershipsRemoved: number;
}

/**
 * What differs between the roster at the instant and the current one: every count, and up to
 * `limit` entries of each kind (by username, or slug).
 */
export function loadRosterChangesSince(
  store: Store,
  atIso: string,
  limit: number,
): RosterChangesSince & { counts: ChangeCounts; memberDelta: Map<string, number> } {
  const db = store.sqlite;
  // One pass per table returns only small tuples (raw arrays, no objects); the full rows are
  // then read by id for the entries shown.
  const users = db
    .prepare(`SELECT change, then_id, now_id FROM (${USER_CHANGES}) ORDER BY username_key`)
    .raw(true)
    .all({ at: atIso }) as [string, number | null, number | null][];
  const membershipChanges = db
    .prepare(`SELECT change, id, team_slug FROM (${MEMBERSHIP_CHANGES}) ORDER BY username_key, team_slug`)
    .raw(true)
    .all({ at: atIso }) as [string, number, string][];
  // Members then minus members now, per team: a removal since means one more member then.
  const memberDelta = new Map<string, number>();
  for (const [change, , slug] of membershipChanges) {
    memberDelta.set(slug, (memberDelta.get(slug) ?? 0) + (change === 'removed' ? 1 : -1));
  }
  const countOf = (rows: readonly (readonly unknown[])[], change: string) =>
    rows.reduce((n, r) => (r[0] === change ? n + 1 : n), 0);
  const userCounts = new Map(['added', 'removed', 'changed'].map((c) => [c, countOf(users, c)]));
  const membershipCounts = new Map(['added', 'removed'].map((c) => [c, countOf(membershipChanges, c)]));
  const userById = db.prepare(`SELECT ${USER_SELECT} FROM users WHERE row_id = ?`);
  const usersOf = (change: string) =>
    users
      .filter((r) => r[0] === change)
      .slice(0, limit)
      .map(([, thenId, nowId]) => ({
        before: thenId === null ? undefined : userFromRow(userById.get(thenId) as UserRow),
        after: nowId === null ? undefined : userFromRow(userById.get(nowId) as UserRow),
      }));
  const membershipById = db.prepare(
    'SELECT username, team_slug AS teamSlug FROM memberships WHERE row_id = ?',
  );
  const membershipsOf = (change: string) =>
    membershipChanges
      .filter((r) => r[0] === change)
      .slice(0, limit)
      .map(([, id]) => membershipById.get(id) as { username: string; teamSlug: string });

  const teamRows = db
    .prepare('SELECT slug, name, valid_from, valid_to FROM teams WHERE valid_from > @at OR valid_to > @at')
    .all({ at: atIso }) as { slug: string; name: string; valid_from: string; valid_to: string | null }[];
  const teamsAdded: { slug: string; name: string }[] = [];
  const teamsRemoved: { slug: string; name: string }[] = [];
  const teamsRenamed: { slug: string; before: string; after: string }[] = [];
  const bySlug = new Map<string, { atThen?: (typeof teamRows)[number]; atNow?: (typeof teamRows)[number] }>();
  for (const r of teamRows) {
    const entry = bySlug.get(r.slug) ?? {};
    if (isValidAt(r, atIso)) entry.atThen = r;
    if (r.valid_to === null) entry.atNow = r;
    bySlug.set(r.slug, entry);
  }
  for (const { atThen: then, atNow: now } of bySlug.values()) {
    if (then === undefined && now !== undefined) teamsAdded.push({ slug: now.slug, name: now.name });
    else if (then !== undefined && now === undefined) teamsRemoved.push({ slug: then.slug, name: then.name });
    else if (then !== undefined && now !== undefined && then.name !== now.name) {
      teamsRenamed.push({ slug: now.slug, before: then.name, after: now.name });
    }
  }
  const bySlugOrder = (a: { slug: string }, b: { slug: string }) =>
    a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0;
  return {
    memberDelta,
    counts: {
      usersAdded: userCounts.get('added') ?? 0,
      usersRemoved: userCounts.get('removed') ?? 0,
      usersChanged: userCounts.get('changed') ?? 0,
      teamsAdded: teamsAdded.length,
      teamsRemoved: teamsRemoved.length,
      teamsRenamed: teamsRenamed.length,
      membershipsAdded: membershipCounts.get('added') ?? 0,
      membershipsRemoved: membershipCounts.get('removed') ?? 0,
    },
    usersAdded: usersOf('added').map((u) => u.after as User),
    usersRemoved: usersOf('removed').map((u) => u.before as User),
    usersChanged: usersOf('changed').map((pair) => {
      const before = pair.before as User;
      const after = pair.after as User;
      const changes = USER_FIELDS.filter((f) => before[f] !== after[f]).map((f) => ({
        field: f,
        before: before[f],
        after: after[f],
      }));
      return { before, after, changes };
    }),
    teamsAdded: teamsAdded.sort(bySlugOrder).slice(0, limit),
    teamsRemoved: teamsRemoved.sort(bySlugOrder).slice(0, limit),
    teamsRenamed: teamsRenamed.sort(bySlugOrder).slice(0, limit),
    membershipsAdded: membershipsOf('added'),
    membershipsRemoved: membershipsOf('removed'),
  };
}
