/**
 * The versioned history of users, teams and memberships (SCD type 2). A change closes the current
 * row (valid_to = the run's time) and opens a new one; nothing is ever deleted, so any past
 * roster is `valid_from <= t AND (valid_to IS NULL OR valid_to > t)`.
 *
 * Raw SQL on purpose: this is the poll's write path, prepared statements run once per row. It is
 * measured by `npm run build && node dist/bench/run.js persist` (20,000 users / 500 teams / 60,525
 * memberships: an unchanged poll 2.07 CPU s, a 10% change 2.46 CPU s on the shared 2-core machine,
 * 2026-11-30). The whole-roster reads share its column list and row mapping: every poll reads the
 * current roster (the same bench), `history --at` a past one. Simple reads and writes elsewhere in
 * store/ use drizzle's query builder.
 */
import type { CoverageRoster } from '../roster/coverage.js';
import type { RosterDiff } from '../roster/diff.js';
import {
  compareMemberships,
  compareText,
  keyUsers,
  type NormalisedUsers,
  normaliseRoster,
  type RecordedUsers,
  rosterWithKnownUsers,
  usersReadOnDemand,
  withUsersOf,
} from '../roster/normalise.js';
import { type Membership, type Roster, type Team, type User, usernameKey } from '../roster/types.js';
import type { Store } from './db.js';
import { hasRosterBaseline } from './runs.js';

/** A users row as raw SQL reads it (snake_case columns). */
export interface UserRow {
  username: string;
  first_name: string | null;
  last_name: string | null;
  display_name: string | null;
  email: string | null;
  created_at: string | null;
  password_last_updated: string | null;
  verified: number | null;
}

export function userFromRow(row: UserRow): User {
  return {
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    displayName: row.display_name,
    email: row.email,
    createdAt: row.created_at,
    passwordLastUpdated: row.password_last_updated,
    verified: row.verified === null ? null : row.verified === 1,
  };
}

export const USER_COLUMNS =
  'username, first_name, last_name, display_name, email, created_at, password_last_updated, verified';

/** The roster as currently recorded, or null before the baseline. */
export function loadCurrentRoster(store: Store): Roster | null {
  if (!hasRosterBaseline(store)) return null;
  return readCurrentRoster(store);
}

/**
 * The teams of the roster as currently recorded (sorted by slug), or none before the baseline:
 * what a policy poll's fetch needs, without reading 20,000 users and their memberships.
 */
export function loadCurrentTeams(store: Store): Team[] {
  if (!hasRosterBaseline(store)) return [];
  return store.sqlite
    .prepare('SELECT slug, name FROM teams WHERE valid_to IS NULL ORDER BY slug')
    .all() as Team[];
}

/**
 * The username and address of every current user, or none before the baseline: what an identity
 * sync needs to know which identities a user could match, without reading whole users and their
 * memberships (issue 21).
 */
export function loadCurrentUserKeys(store: Store): Pick<User, 'username' | 'email'>[] {
  if (!hasRosterBaseline(store)) return [];
  return store.sqlite.prepare('SELECT username, email FROM users WHERE valid_to IS NULL').all() as Pick<
    User,
    'username' | 'email'
  >[];
}

/**
 * The roster as currently recorded without its memberships (empty), or null before the baseline:
 * an identity sync matches users and needs the memberships of the few users with a finding only
 * (loadCurrentMembershipsOf), not 60,000 of them (issue 21).
 */
export function loadCurrentUsersAndTeams(store: Store): Roster | null {
  if (!hasRosterBaseline(store)) return null;
  return currentRosterFrom({
    users: readCurrentUsers(store),
    teams: loadCurrentTeams(store),
    memberships: [],
  });
}

/**
 * The current memberships of these users (username keys, usernameKey), as loadCurrentRoster has
 * them: the same rows, in the same order, of those users alone.
 */
export function loadCurrentMembershipsOf(store: Store, keys: ReadonlySet<string>): Membership[] {
  if (keys.size === 0) return [];
  // json_each: one parameter for any number of keys (a sync can have thousands of findings).
  return store.sqlite
    .prepare(
      `${CURRENT_MEMBERSHIPS_FROM} AND m.username_key IN (SELECT value FROM json_each(?)) ${CURRENT_MEMBERSHIPS_ORDER}`,
    )
    .all(JSON.stringify([...keys])) as Membership[];
}

const CURRENT_MEMBERSHIP_ROWS = `FROM memberships m
       JOIN users u ON u.username_key = m.username_key AND u.valid_to IS NULL
       JOIN teams t ON t.slug = m.team_slug AND t.valid_to IS NULL
       WHERE m.valid_to IS NULL`;
const CURRENT_MEMBERSHIPS_FROM = `SELECT u.username AS username, m.team_slug AS teamSlug ${CURRENT_MEMBERSHIP_ROWS}`;
const CURRENT_MEMBERSHIPS_ORDER = 'ORDER BY m.username_key, m.team_slug';

function readCurrentUsers(store: Store): User[] {
  return (
    store.sqlite
      .prepare(`SELECT ${USER_COLUMNS} FROM users WHERE valid_to IS NULL ORDER BY username_key`)
      .all() as UserRow[]
  ).map(userFromRow);
}

/**
 * The current rows are normalised already (they were written from normalised rosters), so they are
 * read straight into their final objects in SQL order instead of through normaliseRoster: every
 * poll reads the whole roster, and the extra copies were what drove a 20,000-user daemon's peak
 * memory. The order is checked, and anything unexpected falls back to the normalising read.
 */
function readCurrentRoster(store: Store): Roster {
  const users = readCurrentUsers(store);
  const teams = loadCurrentTeams(store);
  // Joined to the current users so a membership always carries the user list's spelling.
  const rows = store.sqlite
    .prepare(`${CURRENT_MEMBERSHIPS_FROM} ${CURRENT_MEMBERSHIPS_ORDER}`)
    .all() as Membership[];
  return currentRosterFrom({ users, teams, memberships: rows });
}

/**
 * The current roster with its users known by their recorded facts (`recorded`, read by the known
 * user list: store/user-list-digest.ts), unread: the poll's steps take the facts, a diff by facts
 * reads the few users it needs by key, and anything that needs them all reads every current row
 * then. Those reads see the history as it is when they run: the poll's decision (the diff, the
 * coverage findings) reads it before its record step writes, and nothing reads it after. The teams
 * and memberships are checked as currentRosterWithUsersOf checks them; null when they are not in
 * normalised order.
 */
export function currentRosterWithRecordedUsers(
  store: Store,
  recorded: RecordedUsers,
  rest: Pick<Roster, 'teams' | 'memberships'>,
): Roster | null {
  if (!teamsAndMembershipsInOrder(rest)) return null;
  let read: NormalisedUsers | undefined;
  const list = usersReadOnDemand(() => {
    read ??= keyUsers(readCurrentUsers(store));
    return read;
  });
  const one = store.sqlite.prepare(
    `SELECT ${USER_COLUMNS} FROM users WHERE valid_to IS NULL AND username_key = ?`,
  );
  const userOf = (key: string): User | undefined => {
    const row = one.get(key) as UserRow | undefined;
    return row === undefined ? undefined : userFromRow(row);
  };
  return rosterWithKnownUsers(list, recorded, rest, userOf);
}

/** Current rows in SQL order as a roster: checked to be in normalised order, else normalised. */
export function currentRosterFrom(roster: Roster): Roster {
  return isNormalised(roster) ? roster : normaliseRoster(roster);
}

/**
 * currentRosterFrom for a roster that takes `from`'s users (a known user list's, whose recorded
 * keys are in normalised order: store/user-list-digest.ts sorts them so), unparsed: only the teams
 * and memberships are checked. Null when they are not in normalised order.
 */
export function currentRosterWithUsersOf(
  from: Roster,
  rest: Pick<Roster, 'teams' | 'memberships'>,
): Roster | null {
  return teamsAndMembershipsInOrder(rest) ? withUsersOf(from, rest) : null;
}

/** Teams and memberships strictly in normalised order: a known list's roster checks no more. */
function teamsAndMembershipsInOrder(rest: Pick<Roster, 'teams' | 'memberships'>): boolean {
  return (
    ascending(rest.teams, (a, b) => compareText(a.slug, b.slug)) &&
    ascending(rest.memberships, compareMemberships)
  );
}

const ascending = <T>(items: readonly T[], compare: (a: T, b: T) => number): boolean => {
  for (let i = 1; i < items.length; i++) if (compare(items[i - 1]!, items[i]!) >= 0) return false;
  return true;
};

const usersAndTeamsAscending = (users: readonly { username: string }[], teams: readonly Team[]): boolean =>
  ascending(users, (a, b) => compareText(usernameKey(a.username), usernameKey(b.username))) &&
  ascending(teams, (a, b) => compareText(a.slug, b.slug));

/** Sorted strictly by the keys normaliseRoster sorts by (so also free of duplicates). */
function isNormalised(roster: Roster): boolean {
  return (
    usersAndTeamsAscending(roster.users, roster.teams) && ascending(roster.memberships, compareMemberships)
  );
}

/**
 * What the coverage findings read of the current roster, or null before the baseline: each user's
 * username and verified flag, the teams, and each team's member count, counted in SQL. A policy
 * poll needs no more, and building 60,525 memberships (sorted through a temporary file on the
 * one-off CLI's small page cache) to count them was a fifth of its record step (issue 21).
 *
 * The same users, teams and member counts as loadCurrentRoster gives: its memberships are the
 * same joined rows, and a count does not depend on their order. The users and teams come in the
 * order loadCurrentRoster gives them when SQL's order is the normalised one (checked here, as it
 * checks it); otherwise this is loadCurrentRoster's roster. The findings do not depend on that
 * order either (they take the users as a set): the check only keeps the answer loadCurrentRoster's.
 */
export function loadCurrentCoverageRoster(store: Store): CoverageRoster | null {
  if (!hasRosterBaseline(store)) return null;
  const users = (
    store.sqlite
      .prepare('SELECT username, verified FROM users WHERE valid_to IS NULL ORDER BY username_key')
      .all() as Pick<UserRow, 'username' | 'verified'>[]
  ).map(
    (row): Pick<User, 'username' | 'verified'> => ({
      username: row.username,
      verified: row.verified === null ? null : row.verified === 1,
    }),
  );
  const teams = loadCurrentTeams(store);
  if (!usersAndTeamsAscending(users, teams)) return readCurrentRoster(store);
  // Counted here, not by GROUP BY: its temporary b-tree spilled to a file on that page cache.
  const memberCounts = new Map<string, number>();
  const slugs = store.sqlite
    .prepare(`SELECT m.team_slug ${CURRENT_MEMBERSHIP_ROWS}`)
    .pluck()
    .all() as string[];
  for (const slug of slugs) memberCounts.set(slug, (memberCounts.get(slug) ?? 0) + 1);
  return { users, teams, memberCounts };
}

/** Users that were recorded and are gone now: lower-cased username → when they were removed. */
export function loadRemovedUsers(store: Store): Map<string, string> {
  const rows = store.sqlite
    .prepare(
      `SELECT username_key AS key, MAX(valid_to) AS removedAt FROM users GROUP BY username_key
       HAVING SUM(valid_to IS NULL) = 0`,
    )
    .all() as { key: string; removedAt: string }[];
  return new Map(rows.map((r) => [r.key, r.removedAt]));
}

/** The roster as it was recorded at `atIso` (an ISO-8601 UTC instant). */
export function loadRosterAt(store: Store, atIso: string): Roster {
  return readRoster(store, 'valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)', [atIso, atIso]);
}

function readRoster(store: Store, where: string, params: string[]): Roster {
  const users = (
    store.sqlite.prepare(`SELECT ${USER_COLUMNS} FROM users WHERE ${where}`).all(...params) as UserRow[]
  ).map(userFromRow);
  const teams = store.sqlite.prepare(`SELECT slug, name FROM teams WHERE ${where}`).all(...params) as {
    slug: string;
    name: string;
  }[];
  const memberships = (
    store.sqlite.prepare(`SELECT username, team_slug FROM memberships WHERE ${where}`).all(...params) as {
      username: string;
      team_slug: string;
    }[]
  ).map((m) => ({ username: m.username, teamSlug: m.team_slug }));
  return normaliseRoster({ users, teams, memberships });
}

/** Writes a diff as new versions. Synchronous: call it inside the poll's transaction. */
export function applyHistory(store: Store, runId: number, atIso: string, diff: RosterDiff): void {
  const db = store.sqlite;
  const closeUser = db.prepare(
    'UPDATE users SET valid_to = ?, to_run_id = ? WHERE username_key = ? AND valid_to IS NULL',
  );
  const insertUser = db.prepare(
    `INSERT INTO users (username_key, ${USER_COLUMNS}, valid_from, from_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const closeTeam = db.prepare(
    'UPDATE teams SET valid_to = ?, to_run_id = ? WHERE slug = ? AND valid_to IS NULL',
  );
  const insertTeam = db.prepare(
    'INSERT INTO teams (slug, name, valid_from, from_run_id) VALUES (?, ?, ?, ?)',
  );
  const closeMembership = db.prepare(
    'UPDATE memberships SET valid_to = ?, to_run_id = ? WHERE username_key = ? AND team_slug = ? AND valid_to IS NULL',
  );
  const insertMembership = db.prepare(
    'INSERT INTO memberships (username_key, username, team_slug, valid_from, from_run_id) VALUES (?, ?, ?, ?, ?)',
  );
  const addUser = (u: User) =>
    insertUser.run(
      usernameKey(u.username),
      u.username,
      u.firstName,
      u.lastName,
      u.displayName,
      u.email,
      u.createdAt,
      u.passwordLastUpdated,
      u.verified === null ? null : u.verified ? 1 : 0,
      atIso,
      runId,
    );

  for (const m of diff.membershipsRemoved)
    closeMembership.run(atIso, runId, usernameKey(m.username), m.teamSlug);
  for (const u of diff.usersRemoved) closeUser.run(atIso, runId, usernameKey(u.username));
  for (const t of diff.teamsRemoved) closeTeam.run(atIso, runId, t.slug);
  for (const c of diff.usersChanged) {
    closeUser.run(atIso, runId, usernameKey(c.before.username));
    addUser(c.after);
  }
  for (const c of diff.teamsChanged) {
    closeTeam.run(atIso, runId, c.before.slug);
    insertTeam.run(c.after.slug, c.after.name, atIso, runId);
  }
  for (const u of diff.usersAdded) addUser(u);
  for (const t of diff.teamsAdded) insertTeam.run(t.slug, t.name, atIso, runId);
  for (const m of diff.membershipsAdded)
    insertMembership.run(usernameKey(m.username), m.username, m.teamSlug, atIso, runId);
}
