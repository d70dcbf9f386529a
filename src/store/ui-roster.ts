/**
 * The roster at an instant and its difference to now, for the web view, computed in SQL so a
 * page costs the rows it shows plus index reads of what changed since, never two whole rosters
 * and never the whole diff in JavaScript.
 *
 * The diff is two reads (issue 22): a summary (every count by kind, each team's member delta, the
 * team changes) from aggregate statements over the covering indexes, and the entries one page
 * at a time, in kind order and by key after a cursor. Six months back in the 1,000,000-event
 * benchmark about 30,000 entries differ; a page reads 200 of them.
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

/** The kinds of change between an instant and now, in the order the page lists them. */
export const CHANGE_KINDS = [
  'user-added',
  'user-removed',
  'user-changed',
  'team-added',
  'team-removed',
  'team-renamed',
  'membership-added',
  'membership-removed',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

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

/** Which count each kind is. */
export const COUNT_OF: Readonly<Record<ChangeKind, keyof ChangeCounts>> = {
  'user-added': 'usersAdded',
  'user-removed': 'usersRemoved',
  'user-changed': 'usersChanged',
  'team-added': 'teamsAdded',
  'team-removed': 'teamsRemoved',
  'team-renamed': 'teamsRenamed',
  'membership-added': 'membershipsAdded',
  'membership-removed': 'membershipsRemoved',
};

/**
 * One change. `key` orders the entries of a kind and is the cursor after it: the lower-cased
 * username (users and memberships, a membership then by team slug) or the team slug.
 */
export type RosterChange =
  | { kind: 'user-added' | 'user-removed'; key: string; user: User }
  | { kind: 'user-changed'; key: string; before: User; after: User; changes: FieldDifference[] }
  | { kind: 'team-added' | 'team-removed'; key: string; slug: string; name: string }
  | { kind: 'team-renamed'; key: string; slug: string; before: string; after: string }
  | { kind: 'membership-added' | 'membership-removed'; key: string; username: string; teamSlug: string };

/** Where a page of changes starts: after the entry (`key`, and `team` for a membership) of `kind`, or at its first. */
export interface ChangeCursor {
  kind: ChangeKind;
  key?: string | undefined;
  team?: string | undefined;
}

export interface TeamChanges {
  added: { slug: string; name: string }[];
  removed: { slug: string; name: string }[];
  renamed: { slug: string; before: string; after: string }[];
}

export interface RosterChangeSummary {
  counts: ChangeCounts;
  /** Members then minus members now, for each team where they differ. */
  memberDelta: Map<string, number>;
  /** The team changes in full, by slug: one row per team at most, so never large. */
  teams: TeamChanges;
  /** The current counts, against which a kind's count tells how dense it is among the keys. */
  now: RosterCounts;
}

/** How a page of one kind is read (entriesSql); the same rows either way. */
export type EntryPlan = 'range' | 'walk';

/** A kind with at least one entry per this many current keys is walked in key order. */
const WALK_DENSITY = 8;

const isValidAt = (r: { valid_from: string; valid_to: string | null }, at: string) =>
  r.valid_from <= at && (r.valid_to === null || r.valid_to > at);

/*
 * In SCD2 a key whose state differs between T and now has its version valid at T closed since
 * (CLOSED: valid_to > T, valid_from <= T) or a current version opened since (OPENED: valid_to IS
 * NULL, valid_from > T), or both. CLOSED and OPENED are each one range of the (valid_to,
 * valid_from, key, ...) index; whether a key has the other one is one seek in the (key, valid_to,
 * valid_from, ...) index. Both indexes carry the user fields, so no statement here reads a table
 * row except for the entries shown. Counts are aggregates (nothing per change crosses into
 * JavaScript); entries are one kind at a time, by key after a cursor, as many as a page shows.
 * INDEXED BY and CROSS JOIN pin each plan: without them SQLite probed memberships through the
 * (team, valid_from) index, a thousand times slower on the benchmark's history.
 */
const CLOSED = (alias: string) => `${alias}.valid_to > @at AND ${alias}.valid_from <= @at`;
const OPENED = (alias: string) => `${alias}.valid_to IS NULL AND ${alias}.valid_from > @at`;

/** The key's current version, opened since (t is a version valid at T). */
const CURRENT_USER = `users AS n INDEXED BY users_key_span_idx
  ON n.username_key = t.username_key AND ${OPENED('n')}`;
const USER_THEN_EXISTS = `EXISTS (SELECT 1 FROM users AS t INDEXED BY users_key_span_idx
  WHERE t.username_key = n.username_key AND ${CLOSED('t')})`;
const USER_NOW_EXISTS = `EXISTS (SELECT 1 FROM users AS n INDEXED BY users_key_span_idx
  WHERE n.username_key = t.username_key AND ${OPENED('n')})`;
const MEMBERSHIP_THEN_EXISTS = `EXISTS (SELECT 1 FROM memberships AS t INDEXED BY memberships_key_span_idx
  WHERE t.username_key = n.username_key AND t.team_slug = n.team_slug AND ${CLOSED('t')})`;
const MEMBERSHIP_NOW_EXISTS = `EXISTS (SELECT 1 FROM memberships AS n INDEXED BY memberships_key_span_idx
  WHERE n.username_key = t.username_key AND n.team_slug = t.team_slug AND ${OPENED('n')})`;

/** A change and its undoing since is no change: a user is changed when the two versions' fields differ. */
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

type EntryTable = 'users' | 'memberships';

/**
 * Entries of one kind after a cursor (@start = 1: from the first), by key, as [key, row ids...].
 * Two plans, same rows: `range` reads the kind's range of the (valid_to, ...) index and sorts it,
 * which costs the changes since; `walk` reads the (key, ...) index in key order and stops when the
 * page is full, which costs the keys before the page's last entry. loadRosterChanges walks when
 * the kind is dense among the keys (a page is then found early) and sorts the range otherwise.
 */
function entriesSql(table: EntryTable, kind: 'added' | 'removed' | 'changed', plan: EntryPlan): string {
  const d = kind === 'added' ? 'n' : 't';
  const index = plan === 'walk' ? `${table}_key_span_idx` : `${table}_valid_to_idx`;
  const users = table === 'users';
  const order = users ? `${d}.username_key` : `${d}.username_key, ${d}.team_slug`;
  const after = users ? `${d}.username_key > @key` : `(${d}.username_key, ${d}.team_slug) > (@key, @team)`;
  const [select, join, filter] =
    kind === 'changed'
      ? ['t.username_key, t.row_id, n.row_id', `CROSS JOIN ${CURRENT_USER}`, `(${USER_DIFFERS})`]
      : kind === 'added'
        ? ['n.username_key, n.row_id', '', `NOT ${users ? USER_THEN_EXISTS : MEMBERSHIP_THEN_EXISTS}`]
        : ['t.username_key, t.row_id', '', `NOT ${users ? USER_NOW_EXISTS : MEMBERSHIP_NOW_EXISTS}`];
  // `>= @key` is the range a walk starts from; the exact cursor is the OR.
  return `SELECT ${select} FROM ${table} AS ${d} INDEXED BY ${index} ${join}
    WHERE ${kind === 'added' ? OPENED(d) : CLOSED(d)} AND ${d}.username_key >= @key AND (@start = 1 OR ${after})
      AND ${filter}
    ORDER BY ${order} LIMIT @limit`;
}

const SQL = {
  /** Users valid at T and closed since; of them, those with a current version, and those changed. */
  userCounts: `SELECT count(*) AS closed, count(n.username_key) AS kept,
      coalesce(sum(n.username_key IS NOT NULL AND (${USER_DIFFERS})), 0) AS changed
    FROM users AS t INDEXED BY users_valid_to_idx LEFT JOIN ${CURRENT_USER} WHERE ${CLOSED('t')}`,
  usersOpened: `SELECT count(*) FROM users AS n INDEXED BY users_valid_to_idx WHERE ${OPENED('n')}`,
  /**
   * Per team, the memberships valid at T and closed since (of them, those kept: left and joined
   * again since, so no change), and the current ones opened since: the membership counts and
   * each team's members then minus now, in two passes.
   */
  membershipsClosed: `SELECT t.team_slug, count(*) AS closed, coalesce(sum(${MEMBERSHIP_NOW_EXISTS}), 0) AS kept
    FROM memberships AS t INDEXED BY memberships_valid_to_idx WHERE ${CLOSED('t')} GROUP BY t.team_slug`,
  membershipsOpened: `SELECT n.team_slug, count(*) AS opened
    FROM memberships AS n INDEXED BY memberships_valid_to_idx WHERE ${OPENED('n')} GROUP BY n.team_slug`,
  teams: 'SELECT slug, name, valid_from, valid_to FROM teams WHERE valid_from > @at OR valid_to > @at',
  userById: `SELECT ${USER_SELECT} FROM users WHERE row_id = ?`,
  membershipById: 'SELECT username, team_slug AS teamSlug FROM memberships WHERE row_id = ?',
};

const bySlugOrder = (a: { slug: string }, b: { slug: string }) =>
  a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0;

/** The teams that differ between the instant and now: the team rows opened or closed since. */
function loadTeamChanges(store: Store, atIso: string): TeamChanges {
  const rows = store.sqlite.prepare(SQL.teams).all({ at: atIso }) as {
    slug: string;
    name: string;
    valid_from: string;
    valid_to: string | null;
  }[];
  const bySlug = new Map<string, { atThen?: { name: string }; atNow?: { name: string } }>();
  for (const r of rows) {
    const entry = bySlug.get(r.slug) ?? {};
    if (isValidAt(r, atIso)) entry.atThen = r;
    if (r.valid_to === null) entry.atNow = r;
    bySlug.set(r.slug, entry);
  }
  const changes: TeamChanges = { added: [], removed: [], renamed: [] };
  for (const [slug, { atThen: then, atNow: now }] of bySlug) {
    if (then === undefined && now !== undefined) changes.added.push({ slug, name: now.name });
    else if (then !== undefined && now === undefined) changes.removed.push({ slug, name: then.name });
    else if (then !== undefined && now !== undefined && then.name !== now.name) {
      changes.renamed.push({ slug, before: then.name, after: now.name });
    }
  }
  changes.added.sort(bySlugOrder);
  changes.removed.sort(bySlugOrder);
  changes.renamed.sort(bySlugOrder);
  return changes;
}

/**
 * How the roster at the instant differs from the current one, counted: every count, each team's
 * member delta and the team changes, without one row per change leaving SQLite.
 */
export function loadRosterChangeSummary(store: Store, atIso: string): RosterChangeSummary {
  const db = store.sqlite;
  const p = { at: atIso };
  const users = db.prepare(SQL.userCounts).get(p) as { closed: number; kept: number; changed: number };
  const usersOpened = db.prepare(SQL.usersOpened).pluck().get(p) as number;
  const closed = db.prepare(SQL.membershipsClosed).raw(true).all(p) as [string, number, number][];
  const opened = db.prepare(SQL.membershipsOpened).raw(true).all(p) as [string, number][];
  // Members then minus members now: a membership closed since was one more then, one opened since one fewer.
  const memberDelta = new Map<string, number>();
  const memberships = { closed: 0, kept: 0, opened: 0 };
  for (const [slug, n, kept] of closed) {
    memberDelta.set(slug, n);
    memberships.closed += n;
    memberships.kept += kept;
  }
  for (const [slug, n] of opened) {
    memberDelta.set(slug, (memberDelta.get(slug) ?? 0) - n);
    memberships.opened += n;
  }
  for (const [slug, n] of memberDelta) if (n === 0) memberDelta.delete(slug);
  const teams = loadTeamChanges(store, atIso);
  return {
    counts: {
      usersAdded: usersOpened - users.kept,
      usersRemoved: users.closed - users.kept,
      usersChanged: users.changed,
      teamsAdded: teams.added.length,
      teamsRemoved: teams.removed.length,
      teamsRenamed: teams.renamed.length,
      membershipsAdded: memberships.opened - memberships.kept,
      membershipsRemoved: memberships.closed - memberships.kept,
    },
    memberDelta,
    teams,
    now: countRosterNow(store),
  };
}

/** Entries of one kind after the cursor's key (from the first without one), at most `limit`. */
function loadKind(
  store: Store,
  atIso: string,
  summary: RosterChangeSummary,
  kind: ChangeKind,
  after: ChangeCursor | undefined,
  limit: number,
  forcePlan: EntryPlan | undefined,
): RosterChange[] {
  const afterKey = after?.key;
  if (kind === 'team-added' || kind === 'team-removed' || kind === 'team-renamed') {
    const list =
      kind === 'team-added'
        ? summary.teams.added
        : kind === 'team-removed'
          ? summary.teams.removed
          : summary.teams.renamed;
    return list
      .filter((t) => afterKey === undefined || t.slug > afterKey)
      .slice(0, limit)
      .map((t) => ({ ...t, kind, key: t.slug }) as RosterChange);
  }
  const db = store.sqlite;
  const users = kind.startsWith('user-');
  const dense =
    summary.counts[COUNT_OF[kind]] * WALK_DENSITY >= (users ? summary.now.users : summary.now.memberships);
  const plan = forcePlan ?? (dense ? 'walk' : 'range');
  const sql = entriesSql(
    users ? 'users' : 'memberships',
    kind.endsWith('-added') ? 'added' : kind.endsWith('-removed') ? 'removed' : 'changed',
    plan,
  );
  const params = {
    at: atIso,
    start: afterKey === undefined ? 1 : 0,
    key: afterKey ?? '',
    team: after?.team ?? '',
    limit,
  };
  const userById = db.prepare(SQL.userById);
  const user = (id: number) => userFromRow(userById.get(id) as UserRow);
  if (kind === 'user-added' || kind === 'user-removed') {
    const rows = db.prepare(sql).raw(true).all(params) as [string, number][];
    return rows.map(([key, id]) => ({ kind, key, user: user(id) }));
  }
  if (kind === 'user-changed') {
    const rows = db.prepare(sql).raw(true).all(params) as [string, number, number][];
    return rows.map(([key, thenId, nowId]) => {
      const before = user(thenId);
      const after = user(nowId);
      const changes = USER_FIELDS.filter((f) => before[f] !== after[f]).map((f) => ({
        field: f,
        before: before[f],
        after: after[f],
      }));
      return { kind, key, before, after, changes };
    });
  }
  const rows = db.prepare(sql).raw(true).all(params) as [string, number][];
  const membershipById = db.prepare(SQL.membershipById);
  return rows.map(([key, id]) => {
    const m = membershipById.get(id) as { username: string; teamSlug: string };
    return { kind, key, username: m.username, teamSlug: m.teamSlug };
  });
}

/** The cursor right after an entry. */
export function cursorAfter(change: RosterChange): ChangeCursor {
  return {
    kind: change.kind,
    key: change.key,
    team:
      change.kind === 'membership-added' || change.kind === 'membership-removed'
        ? change.teamSlug
        : undefined,
  };
}

/**
 * One page of the changes, in CHANGE_KINDS order and by key within a kind, from the cursor: up to
 * `limit` entries and the cursor of the next page (undefined on the last). A kind whose count is
 * zero costs no statement; a page costs its own entries, not the whole diff.
 */
export function loadRosterChanges(
  store: Store,
  atIso: string,
  summary: RosterChangeSummary,
  options: {
    from?: ChangeCursor | undefined;
    limit: number;
    /** Tests: read every kind with this plan instead of the one its density picks. */
    plan?: EntryPlan;
  },
): { entries: RosterChange[]; next: ChangeCursor | undefined } {
  const { from, limit } = options;
  const entries: RosterChange[] = [];
  const first = from === undefined ? 0 : CHANGE_KINDS.indexOf(from.kind);
  for (let k = first; k < CHANGE_KINDS.length; k++) {
    const kind = CHANGE_KINDS[k] as ChangeKind;
    if (summary.counts[COUNT_OF[kind]] === 0) continue;
    const room = limit - entries.length;
    const last = entries[entries.length - 1];
    // The page is full and a later kind has entries: the next page starts after the last one shown.
    if (room === 0) return { entries, next: last === undefined ? { kind } : cursorAfter(last) };
    const found = loadKind(
      store,
      atIso,
      summary,
      kind,
      k === first ? from : undefined,
      room + 1,
      options.plan,
    );
    entries.push(...found.slice(0, room));
    if (found.length > room)
      return { entries, next: cursorAfter(entries[entries.length - 1] as RosterChange) };
  }
  return { entries, next: undefined };
}
