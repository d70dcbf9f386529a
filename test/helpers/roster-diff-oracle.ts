/**
 * The roster-as-of diff as the web view computed it before paging (issue 22): every change
 * between an instant and now, grouped in SQL and classified in memory. Kept verbatim, below the
 * product, as the oracle of the differential test of the paged diff
 * (test/integration/web/ui-roster-diff.test.ts): the same history and instant must give the same
 * counts, member deltas and entries, in the same order.
 */
import { USER_FIELDS, type User } from '../../src/roster/types.js';
import type { Store } from '../../src/store/db.js';
import { type UserRow as UserColumns, userFromRow } from '../../src/store/history.js';
import type { ChangeCounts } from '../../src/store/ui-roster.js';

type UserRow = UserColumns;

/** Every column, so the rows read in full are the rows as stored. */
const USER_SELECT = '*';

interface FieldDifference {
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

// The compared columns from the domain's field list (the product lists them by hand).
const USER_DIFFERS = USER_FIELDS.map((f) => f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
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

/**
 * What differs between the roster at the instant and the current one: every count, and up to
 * `limit` entries of each kind (by username, or slug).
 */
export function loadRosterChangesOracle(
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
