/**
 * The recorded roster's fingerprints (roster/fingerprint.ts) and the poll's fingerprint read:
 * the recorded roster rebuilt from the fetched one where the fingerprints agree, reading from the
 * history only the users and teams whose fingerprints differ (or are missing). It gives exactly
 * what `loadCurrentRoster` gives (a property test holds them equal), so the decision made on it is
 * the same; an unchanged 20,000-user poll reads 20,000 short hashes instead of 80,000 rows.
 *
 * Raw SQL like history.ts: the poll's path, statements run per row.
 */
import type { RosterFingerprints } from '../roster/fingerprint.js';
import { mergeSorted } from '../roster/safety.js';
import {
  type FetchedRoster,
  type Membership,
  type Roster,
  type Team,
  type User,
  usernameKey,
} from '../roster/types.js';
import type { Store } from './db.js';
import { currentRosterFrom, USER_COLUMNS, type UserRow, userFromRow } from './history.js';

const VALID_RUN_KEY = 'roster_fingerprints_run';

export interface StoredFingerprints {
  /** Current users in SQL order (username_key), with their fingerprint or null (not back-filled yet). */
  users: { key: string; fingerprint: string | null }[];
  /** Current teams' member-list fingerprints; empty when they do not describe the latest roster run. */
  teams: Map<string, string>;
  /** Whether `teams` describes the latest roster run (else it is empty). */
  teamsValid: boolean;
}

/** The fingerprints recorded for the current roster. */
export function loadFingerprints(store: Store): StoredFingerprints {
  const db = store.sqlite;
  const users = db
    .prepare(
      'SELECT username_key AS key, fingerprint FROM users WHERE valid_to IS NULL ORDER BY username_key',
    )
    .all() as StoredFingerprints['users'];
  const valid = db.prepare('SELECT value FROM meta WHERE key = ?').get(VALID_RUN_KEY) as
    | { value: string }
    | undefined;
  const latest = db.prepare("SELECT MAX(id) AS id FROM runs WHERE kind = 'roster'").get() as {
    id: number | null;
  };
  const teams = new Map<string, string>();
  const teamsValid = valid !== undefined && latest.id !== null && valid.value === String(latest.id);
  if (teamsValid) {
    const rows = db.prepare('SELECT team_slug AS slug, members FROM team_fingerprints').all() as {
      slug: string;
      members: string;
    }[];
    for (const row of rows) teams.set(row.slug, row.members);
  }
  return { users, teams, teamsValid };
}

/**
 * The recorded roster, equal to `loadCurrentRoster`'s, built from the fetched roster where the
 * fingerprints agree. Null when the fetch lost a user's memberships (`user-teams` scopes): a
 * team's fetched member list is then not the team's, so the caller reads the whole roster.
 */
export function loadPreviousByFingerprint(
  store: Store,
  fetched: FetchedRoster,
  fetchedPrints: RosterFingerprints,
  stored: StoredFingerprints,
): Roster | null {
  if (fetched.failedScopes.some((s) => s.kind === 'user-teams')) return null;
  const db = store.sqlite;
  const fetchedUsers = new Map<string, User>();
  for (const u of fetched.roster.users) fetchedUsers.set(usernameKey(u.username), u);

  const users: (User | undefined)[] = [];
  const unread = new Map<string, number>();
  for (const { key, fingerprint } of stored.users) {
    const same = fingerprint !== null && fetchedPrints.users.get(key) === fingerprint;
    if (!same) unread.set(key, users.length);
    users.push(same ? fetchedUsers.get(key) : undefined);
  }
  // The recorded spelling of a user read back, where it differs from the fetched one.
  const respelled = new Map<string, string>();
  if (unread.size > 0) {
    const rows = db
      .prepare(
        `SELECT username_key AS key, ${USER_COLUMNS} FROM users WHERE valid_to IS NULL
         AND username_key IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify([...unread.keys()])) as (UserRow & { key: string })[];
    for (const row of rows) {
      const key = row.key;
      const at = unread.get(key);
      if (at !== undefined) users[at] = userFromRow(row);
      const now = fetchedUsers.get(key);
      if (now !== undefined && now.username !== row.username) respelled.set(key, row.username);
    }
  }
  if (users.some((u) => u === undefined)) return null;

  const teams = db
    .prepare('SELECT slug, name FROM teams WHERE valid_to IS NULL ORDER BY slug')
    .all() as Team[];
  const notRead = new Set<string>(fetched.hints?.carried ?? []);
  for (const scope of fetched.failedScopes) if (scope.kind === 'team-members') notRead.add(scope.teamSlug);
  const unchanged = new Set<string>();
  const others: string[] = [];
  for (const t of teams) {
    const recorded = stored.teams.get(t.slug);
    if (!notRead.has(t.slug) && recorded !== undefined && fetchedPrints.teams.get(t.slug) === recorded) {
      unchanged.add(t.slug);
    } else {
      others.push(t.slug);
    }
  }
  let memberships: Membership[];
  if (others.length === 0 && respelled.size === 0 && unchanged.size === fetchedPrints.teams.size) {
    // Every fetched team is recorded with the same members: the fetched list is the recorded one.
    memberships = fetched.roster.memberships;
  } else {
    const fromFetch: Membership[] = [];
    for (const m of fetched.roster.memberships) {
      if (!unchanged.has(m.teamSlug)) continue;
      const spelling = respelled.get(usernameKey(m.username));
      fromFetch.push(spelling === undefined ? m : { username: spelling, teamSlug: m.teamSlug });
    }
    const fromHistory =
      others.length === 0 ? [] : recordedMemberships(store, stored.users, users as User[], others);
    memberships = mergeSorted(fromFetch, fromHistory);
  }
  return currentRosterFrom({ users: users as User[], teams, memberships });
}

/**
 * The current memberships of `teams` as `loadCurrentRoster` reads them (its order; the current
 * users' recorded spelling; only current users and teams), given the rebuild's current `users`
 * and their recorded `keys` (same order).
 * With hints, most teams are carried on every poll, so this is most of the org: the keys alone
 * come in order from the partial index of current memberships, and the spelling and the teams are
 * looked up in memory, instead of joining 60,000 rows to users and teams and sorting them in a
 * temporary B-tree (150-250 ms of an unchanged 20,000-user CLI poll). The query plan is tested.
 */
export const RECORDED_MEMBERSHIP_KEYS_SQL = `SELECT username_key, team_slug FROM memberships
  INDEXED BY memberships_current_uq WHERE valid_to IS NULL ORDER BY username_key, team_slug`;

function recordedMemberships(
  store: Store,
  keys: StoredFingerprints['users'],
  users: readonly User[],
  teams: readonly string[],
): Membership[] {
  // keys[i] is the recorded key of users[i] (the rebuild keeps the stored users' order).
  const spelling = new Map<string, string>();
  keys.forEach(({ key }, i) => {
    const user = users[i];
    if (user !== undefined) spelling.set(key, user.username);
  });
  const wanted = new Set(teams);
  const rows = store.sqlite.prepare(RECORDED_MEMBERSHIP_KEYS_SQL).raw(true).all() as [string, string][];
  const memberships: Membership[] = [];
  for (const [key, teamSlug] of rows) {
    const username = spelling.get(key);
    if (username !== undefined && wanted.has(teamSlug)) memberships.push({ username, teamSlug });
  }
  return memberships;
}

/**
 * Records the fingerprints of the roster this run leaves as current (`recorded`: what the history
 * holds after the run), writing only those that differ from what was stored, and marks them as
 * describing this run. A failed run passes null: the history did not change, so the stored
 * ones stay as valid as they were.
 */
export function saveFingerprints(
  store: Store,
  runId: number,
  recorded: RosterFingerprints | null,
  stored: StoredFingerprints | null,
): void {
  const db = store.sqlite;
  if (recorded === null && !stored?.teamsValid) return;
  if (recorded !== null) {
    const setUser = db.prepare(
      'UPDATE users SET fingerprint = ? WHERE username_key = ? AND valid_to IS NULL',
    );
    const before = new Map((stored?.users ?? []).map((u) => [u.key, u.fingerprint]));
    for (const [key, fingerprint] of recorded.users) {
      if (before.get(key) !== fingerprint) setUser.run(fingerprint, key);
    }
    const storedTeams = stored?.teams ?? new Map<string, string>();
    if (!stored?.teamsValid) db.prepare('DELETE FROM team_fingerprints').run();
    const setTeam = db.prepare(
      `INSERT INTO team_fingerprints (team_slug, members) VALUES (?, ?)
       ON CONFLICT (team_slug) DO UPDATE SET members = excluded.members`,
    );
    for (const [slug, members] of recorded.teams) {
      if (storedTeams.get(slug) !== members) setTeam.run(slug, members);
    }
    const dropTeam = db.prepare('DELETE FROM team_fingerprints WHERE team_slug = ?');
    for (const slug of storedTeams.keys()) if (!recorded.teams.has(slug)) dropTeam.run(slug);
  }
  db.prepare(
    `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  ).run(VALID_RUN_KEY, String(runId));
}
