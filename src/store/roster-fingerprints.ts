/**
 * The recorded roster's fingerprints (roster/fingerprint.ts) and the poll's fingerprint read:
 * the recorded roster rebuilt from the fetched one where the fingerprints agree, reading from the
 * history only the users and teams whose fingerprints differ (or are missing). It gives exactly
 * what `loadCurrentRoster` gives (a property test holds them equal), so the decision made on it is
 * the same; an unchanged 20,000-user poll reads 20,000 short hashes instead of 80,000 rows. The
 * members of a team the poll did not read (carried by the hints, or failed) or whose fingerprint
 * differs come from the member list stored beside its fingerprint, so an unchanged hinted poll
 * reads no membership row either; a missing or stale list falls back to the memberships.
 *
 * Raw SQL like history.ts: the poll's path, statements run per row.
 */
import type { KnownTeamPrints, RosterFingerprints } from '../roster/fingerprint.js';
import { type RecordedUsers, recordedSpelling, recordedUsersOf } from '../roster/normalise.js';
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
import {
  currentRosterFrom,
  currentRosterWithRecordedUsers,
  currentRosterWithUsersOf,
  loadCurrentTeams,
  USER_COLUMNS,
  type UserRow,
  userFromRow,
} from './history.js';
import { readMeta, writeMeta } from './meta.js';
import { latestRosterRunId } from './runs.js';
import { currentUserColumns, stillCurrentUsers } from './user-list-digest.js';

const VALID_RUN_KEY = 'roster_fingerprints_run';

export interface StoredFingerprints {
  /** Current users' keys, in SQL order (username_key) or the known list's (keyUsers'). */
  keys: readonly string[];
  /** Their fingerprints, in the same order; null where not back-filled yet. */
  prints: readonly (string | null)[];
  /**
   * Set when the current users are the known user list's, proved current in this transaction
   * (`loadFingerprints`' `known`): their fingerprints by key, the very map the fetch's
   * fingerprints took for its users. A comparison of the two is then moot.
   */
  known?: ReadonlyMap<string, string>;
  /** Current teams' member-list fingerprints; empty when they do not describe the latest roster run. */
  teams: Map<string, string>;
  /** Whether `teams` describes the latest roster run (else it is empty). */
  teamsValid: boolean;
  /** The teams of `teams` whose member list is stored too (`member_keys`, migration 0016). */
  listed: Set<string>;
}

/**
 * The fingerprints recorded for the current roster. `known`: the users of a user list known by its
 * bytes (store/user-list-digest.ts), read by the fetch; while no roster run has been recorded since
 * that read, they are the current users with their stored fingerprints, and the 20,000 rows are
 * not read a second time.
 */
export function loadFingerprints(store: Store, known?: RecordedUsers | null): StoredFingerprints {
  const db = store.sqlite;
  let users: Pick<StoredFingerprints, 'keys' | 'prints' | 'known'>;
  // A patched list's facts are not the stored ones: the recorded users they were patched from are.
  const current = known?.base ?? known;
  if (current && stillCurrentUsers(store, current)) {
    users = { keys: current.keys, prints: [...current.prints.values()], known: current.prints };
  } else {
    const [keys, prints] = currentUserColumns(store, ['username_key', 'fingerprint']) as [
      string[],
      (string | null)[],
    ];
    users = { keys, prints };
  }
  const valid = readMeta(store, VALID_RUN_KEY);
  const latest = latestRosterRunId(store);
  const teams = new Map<string, string>();
  const listed = new Set<string>();
  const teamsValid = valid !== null && latest !== null && valid === String(latest);
  if (teamsValid) {
    const rows = db
      .prepare('SELECT team_slug, members, member_keys IS NOT NULL FROM team_fingerprints')
      .raw(true)
      .all() as [string, string, number][];
    for (const [slug, members, hasList] of rows) {
      teams.set(slug, members);
      if (hasList === 1) listed.add(slug);
    }
  }
  return { ...users, teams, teamsValid, listed };
}

/**
 * The recorded roster, equal to `loadCurrentRoster`'s, built from the fetched roster where the
 * fingerprints agree. Null when the fetch lost a user's memberships (`user-teams` scopes): a
 * team's fetched member list is then not the team's, so the caller reads the whole roster.
 * `hashText` is the fingerprints' hash: a stored member list is used only if it hashes to the
 * team's stored fingerprint.
 */
export function loadPreviousByFingerprint(
  store: Store,
  fetched: FetchedRoster,
  fetchedPrints: RosterFingerprints,
  stored: StoredFingerprints,
  hashText: (text: string) => string,
  /**
   * Filled, when the roster is returned, with the fingerprints and member lists of the teams whose
   * members it took from the fetch (fingerprints equal) or from a stored list that hashes to the
   * stored fingerprint: what fingerprintRoster would compute of those teams of the returned roster.
   */
  known?: KnownTeamPrints['teams'],
): Roster | null {
  if (fetched.failedScopes.some((s) => s.kind === 'user-teams')) return null;
  const db = store.sqlite;
  // A known user list proved current (loadFingerprints' `known`): the recorded users are the
  // fetched ones, key for key in the same order, so they are taken as the list's, unparsed, and
  // spelled as recorded. Otherwise each is the fetched user where the fingerprints agree, else
  // read back.
  // A patched list (most users' bytes recorded ones, user-list-reader.ts) likewise: the recorded
  // users are those it was patched from, proved current, and the users it parsed are its own.
  const recorded = recordedUsersOf(fetched.roster);
  const base = recorded?.base ?? recorded;
  const knownList =
    recorded !== undefined &&
    base !== undefined &&
    stored.known !== undefined &&
    stored.known === base.prints &&
    stored.keys === base.keys &&
    (recorded === base ? stored.known === fetchedPrints.users : recorded.prints === fetchedPrints.users);
  const users: (User | undefined)[] = [];
  // The recorded spelling of a user read back, where it differs from the fetched one.
  const respelled = new Map<string, string>();
  if (!knownList && !readUsers(store, fetched, fetchedPrints, stored, users, respelled)) return null;
  if (knownList && recorded.parsed !== undefined) {
    for (const [key, user] of recorded.parsed) {
      const was = recordedSpelling(base, key);
      if (was !== undefined && was !== user.username) respelled.set(key, was);
    }
  }
  const spellingAt = knownList
    ? (at: number) => base.names[at] ?? base.keys[at]!
    : (at: number) => (users[at] as User).username;

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
  const knownOf = (slug: string, list: string | undefined, fingerprint: string | undefined) => {
    if (known !== undefined && list !== undefined && fingerprint !== undefined)
      known.set(slug, { fingerprint, list });
  };
  let memberships: Membership[];
  if (others.length === 0 && respelled.size === 0 && unchanged.size === fetchedPrints.teams.size) {
    for (const slug of unchanged)
      knownOf(slug, fetchedPrints.teamMembers.get(slug), fetchedPrints.teams.get(slug));
    // Every fetched team is recorded with the same members: the fetched list is the recorded one.
    memberships = fetched.roster.memberships;
  } else {
    // Each team's recorded member list: the fetched one where the fingerprints agree, else the one
    // stored beside the fingerprint; only teams with neither are read from the memberships.
    // The fetched memberships are kept as they are (the diff skips objects it shares with the
    // fetched roster), the stored lists are keys.
    const fetchedOf = new Map<string, Membership[]>();
    for (const m of fetched.roster.memberships) {
      if (!unchanged.has(m.teamSlug)) continue;
      const of = fetchedOf.get(m.teamSlug);
      if (of === undefined) fetchedOf.set(m.teamSlug, [m]);
      else of.push(m);
    }
    const lists = new Map<string, string | Membership[]>();
    const trusted = storedLists(store, stored, others, hashText);
    for (const t of teams) {
      const list = unchanged.has(t.slug) ? (fetchedOf.get(t.slug) ?? []) : trusted.get(t.slug);
      if (list === undefined) continue;
      lists.set(t.slug, list);
      knownOf(
        t.slug,
        typeof list === 'string' ? list : fetchedPrints.teamMembers.get(t.slug),
        stored.teams.get(t.slug),
      );
    }
    const fromLists = membershipsOfLists(lists, stored.keys, spellingAt);
    if (fromLists !== null && lists.size === teams.length) {
      memberships = fromLists;
    } else {
      // A list names someone who is not a current user (it cannot be trusted), or some teams have none.
      // The lists' teams are known only where the memberships come from them.
      if (fromLists === null) known?.clear();
      const spelling = spellings(stored.keys, spellingAt);
      const fromHistory = teams.map((t) => t.slug).filter((slug) => fromLists === null || !lists.has(slug));
      memberships = mergeSorted(fromLists ?? [], recordedMemberships(store, spelling, fromHistory));
    }
  }
  if (!knownList) return currentRosterFrom({ users: users as User[], teams, memberships });
  // Its users are the recorded ones, not the fetched list's (null: the caller reads the roster whole).
  if (recorded !== base) return currentRosterWithRecordedUsers(store, base, { teams, memberships });
  // Not in order after all (never expected): the users are parsed and the roster normalised.
  return (
    currentRosterWithUsersOf(fetched.roster, { teams, memberships }) ??
    currentRosterFrom({ users: fetched.roster.users, teams, memberships })
  );
}

/**
 * The recorded users, by `stored`'s keys, into `users` (same order): the fetched user where the
 * fingerprints agree, else read back from the history, with `respelled` the recorded spelling of
 * a user read back where it differs from the fetched one. False when a recorded user is missing.
 */
function readUsers(
  store: Store,
  fetched: FetchedRoster,
  fetchedPrints: RosterFingerprints,
  stored: StoredFingerprints,
  users: (User | undefined)[],
  respelled: Map<string, string>,
): boolean {
  const fetchedUsers = new Map<string, User>();
  for (const u of fetched.roster.users) fetchedUsers.set(usernameKey(u.username), u);
  const unread = new Map<string, number>();
  stored.keys.forEach((key, i) => {
    const fingerprint = stored.prints[i] ?? null;
    const same = fingerprint !== null && fetchedPrints.users.get(key) === fingerprint;
    if (!same) unread.set(key, users.length);
    users.push(same ? fetchedUsers.get(key) : undefined);
  });
  if (unread.size > 0) {
    const rows = store.sqlite
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
  return !users.some((u) => u === undefined);
}

/**
 * The current memberships of `teams` as `loadCurrentRoster` reads them (its order; the current
 * users' recorded spelling; only current users and teams), given that spelling by key.
 * Read only for teams whose member list is neither fetched unchanged nor stored (a history from
 * before migration 0016 that was not back-filled, a stale list): then, with hints, most of the
 * org. The keys alone
 * come in order from the partial index of current memberships, and the spelling and the teams are
 * looked up in memory, instead of joining 60,000 rows to users and teams and sorting them in a
 * temporary B-tree (150-250 ms of an unchanged 20,000-user CLI poll). The query plan is tested.
 */
export const RECORDED_MEMBERSHIP_KEYS_SQL = `SELECT username_key, team_slug FROM memberships
  INDEXED BY memberships_current_uq WHERE valid_to IS NULL ORDER BY username_key, team_slug`;

function recordedMemberships(
  store: Store,
  spelling: ReadonlyMap<string, string>,
  teams: readonly string[],
): Membership[] {
  const wanted = new Set(teams);
  const rows = store.sqlite.prepare(RECORDED_MEMBERSHIP_KEYS_SQL).raw(true).all() as [string, string][];
  const memberships: Membership[] = [];
  for (const [key, teamSlug] of rows) {
    const username = spelling.get(key);
    if (username !== undefined && wanted.has(teamSlug)) memberships.push({ username, teamSlug });
  }
  return memberships;
}

/** The current users' recorded spelling by key, given their recorded `keys` and the spelling at each place of them. */
function spellings(keys: readonly string[], spellingAt: (at: number) => string): Map<string, string> {
  const spelling = new Map<string, string>();
  keys.forEach((key, i) => {
    spelling.set(key, spellingAt(i));
  });
  return spelling;
}

/**
 * The member lists stored for those of `teams` that can be trusted: the fingerprints describe the
 * latest roster run and the list hashes to the team's stored fingerprint. A list that does not
 * (an older build changed the team's members and left the list) leaves `stored.listed`, so
 * saveFingerprints writes it again and the team does not stay on the membership read for good.
 */
function storedLists(
  store: Store,
  stored: StoredFingerprints,
  teams: readonly string[],
  hashText: (text: string) => string,
): Map<string, string> {
  const trusted = new Map<string, string>();
  const wanted = teams.filter((slug) => stored.listed.has(slug));
  if (!stored.teamsValid || wanted.length === 0) return trusted;
  const rows = store.sqlite
    .prepare(
      `SELECT team_slug, member_keys FROM team_fingerprints
       WHERE member_keys IS NOT NULL AND team_slug IN (SELECT value FROM json_each(?))`,
    )
    .raw(true)
    .all(JSON.stringify(wanted)) as [string, string][];
  for (const [slug, list] of rows) {
    if (hashText(list) === stored.teams.get(slug)) trusted.set(slug, list);
    else stored.listed.delete(slug);
  }
  return trusted;
}

/**
 * The memberships of each team's members (`lists`, in slug order: the fetched memberships, or the
 * stored list of sorted keys, one a line), sorted as `loadCurrentRoster` sorts them (the users' key
 * order, then the slug) with the current users' recorded spelling, given their recorded `keys` and
 * the spelling at each place of them; a fetched membership spelled so is that very object. Null
 * when a list names a key that is not a current user's: the lists do not describe the history.
 * One pass over the lists and one over the users, no string comparison (a merge of 60,000
 * memberships built two key strings per comparison).
 */
function membershipsOfLists(
  lists: ReadonlyMap<string, string | readonly Membership[]>,
  keys: readonly string[],
  spellingAt: (at: number) => string,
): Membership[] | null {
  // Per key, its teams in slug order: a slug (from a stored list) or the fetched membership.
  const teamsOf = new Map<string, (string | Membership)[]>();
  const add = (key: string, entry: string | Membership) => {
    const of = teamsOf.get(key);
    if (of === undefined) teamsOf.set(key, [entry]);
    else of.push(entry);
  };
  for (const [slug, list] of lists) {
    if (typeof list !== 'string') for (const m of list) add(usernameKey(m.username), m);
    else if (list !== '') for (const key of list.split('\n')) add(key, slug);
  }
  const memberships: Membership[] = [];
  let found = 0;
  for (let i = 0; i < keys.length; i++) {
    const of = teamsOf.get(keys[i]!);
    if (of === undefined) continue;
    found++;
    const username = spellingAt(i);
    for (const entry of of) {
      if (typeof entry === 'string') memberships.push({ username, teamSlug: entry });
      else memberships.push(entry.username === username ? entry : { username, teamSlug: entry.teamSlug });
    }
  }
  return found === teamsOf.size ? memberships : null;
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
    // The recorded users' fingerprints are the very map the stored ones were taken from (a known
    // user list, proved current): all of them are stored already. Otherwise the stored keys are
    // unique (users_current_uq), so when as many of them carry the recorded fingerprint as there
    // are recorded users, every recorded user's is stored already: an unchanged poll writes none
    // and needs no map of 20,000 stored fingerprints to find that out.
    if (stored?.known !== recorded.users) {
      const keys = stored?.keys ?? [];
      const prints = stored?.prints ?? [];
      let same = 0;
      keys.forEach((key, i) => {
        const fingerprint = prints[i] ?? null;
        if (fingerprint !== null && recorded.users.get(key) === fingerprint) same++;
      });
      if (same !== recorded.users.size) {
        const before = new Map(keys.map((key, i) => [key, prints[i] ?? null]));
        for (const [key, fingerprint] of recorded.users) {
          if (before.get(key) !== fingerprint) setUser.run(fingerprint, key);
        }
      }
    }
    const storedTeams = stored?.teams ?? new Map<string, string>();
    const listed = stored?.listed ?? new Set<string>();
    if (!stored?.teamsValid) db.prepare('DELETE FROM team_fingerprints').run();
    const setTeam = db.prepare(
      `INSERT INTO team_fingerprints (team_slug, members, member_keys) VALUES (?, ?, ?)
       ON CONFLICT (team_slug) DO UPDATE SET members = excluded.members, member_keys = excluded.member_keys`,
    );
    for (const [slug, members] of recorded.teams) {
      // A team whose list is missing (a history from before migration 0016 was back-filled) gets it now.
      if (storedTeams.get(slug) !== members || !listed.has(slug)) {
        setTeam.run(slug, members, recorded.teamMembers.get(slug) ?? null);
      }
    }
    const dropTeam = db.prepare('DELETE FROM team_fingerprints WHERE team_slug = ?');
    for (const slug of storedTeams.keys()) if (!recorded.teams.has(slug)) dropTeam.run(slug);
  }
  writeMeta(store, VALID_RUN_KEY, String(runId));
}

/** What an unchanged poll records of the roster, without the roster as objects: the runs row's counts. */
export interface UnchangedRecord {
  counts: { users: number; teams: number; memberships: number };
  /**
   * The recorded members of each team (a read team's fetched list, a carried team's stored one),
   * by slug, every team of the roster named: what the coverage findings read of the memberships.
   */
  memberCounts: Map<string, number>;
}

/**
 * Whether the poll's fetch leaves the recorded roster exactly as it is, decided from fingerprints
 * alone: no membership scope failed, every recorded user's stored fingerprint equals its fetched
 * one and no user is new, the team list (slugs and names) is the recorded one, every team read
 * has its stored member-list fingerprint, and every carried team has a stored list that hashes to
 * its fingerprint and names current users only. Then the full path's merged roster equals the
 * recorded one (its diff is empty) and its fingerprints equal the stored ones, so the poll need not
 * rebuild the 60,000 carried memberships to find that out; the counts are those of that roster.
 * Null when any of it does not hold: the caller takes the full path.
 */
export function loadUnchangedRecord(
  store: Store,
  fetched: FetchedRoster,
  fetchedPrints: RosterFingerprints,
  stored: StoredFingerprints,
  hashText: (text: string) => string,
): UnchangedRecord | null {
  if (fetched.failedScopes.length > 0 || !stored.teamsValid) return null;
  // The stored keys are unique (users_current_uq): as many as fetched, each with the fetched
  // fingerprint, is the same set of users with the same recorded fields. Moot when the fetched
  // fingerprints are the very map the stored users were taken from (a known list, proved current).
  if (stored.keys.length !== fetchedPrints.users.size) return null;
  if (stored.known !== fetchedPrints.users) {
    for (let i = 0; i < stored.keys.length; i++) {
      const fingerprint = stored.prints[i] ?? null;
      if (fingerprint === null || fetchedPrints.users.get(stored.keys[i]!) !== fingerprint) return null;
    }
  }
  const teams = loadCurrentTeams(store);
  if (teams.length !== fetched.roster.teams.length || stored.teams.size !== teams.length) return null;
  const names = new Map(teams.map((t) => [t.slug, t.name]));
  for (const t of fetched.roster.teams) if (names.get(t.slug) !== t.name) return null;
  const carried = new Set(fetched.hints?.carried ?? []);
  const memberCounts = new Map<string, number>();
  let read = 0;
  for (const t of fetched.roster.teams) {
    const recorded = stored.teams.get(t.slug);
    if (recorded === undefined) return null;
    if (carried.has(t.slug)) continue;
    if (fetchedPrints.teams.get(t.slug) !== recorded) return null;
    const members = ofCurrentUsers(fetchedPrints.teamMembers.get(t.slug) ?? '', fetchedPrints.users);
    if (members === null) return null;
    memberCounts.set(t.slug, members);
    read += members;
  }
  // The fetched memberships are those of the teams read, and of no other team (a carried team's
  // fetched ones, if any, would be dropped by the merge as well).
  let fetchedMembers = 0;
  for (const m of fetched.roster.memberships) if (!carried.has(m.teamSlug)) fetchedMembers++;
  if (fetchedMembers !== read) return null;
  let kept = 0;
  if (carried.size > 0) {
    for (const slug of carried) if (!stored.listed.has(slug)) return null;
    const lists = storedLists(store, stored, [...carried], hashText);
    if (lists.size !== carried.size) return null;
    for (const [slug, list] of lists) {
      const members = ofCurrentUsers(list, fetchedPrints.users);
      if (members === null) return null;
      memberCounts.set(slug, members);
      kept += members;
    }
  }
  return {
    counts: { users: stored.keys.length, teams: teams.length, memberships: read + kept },
    memberCounts,
  };
}

/** How many keys a member list (keys, one a line) names, or null when one is not a current user's. */
function ofCurrentUsers(list: string, users: ReadonlyMap<string, string>): number | null {
  if (list === '') return 0;
  const keys = list.split('\n');
  for (const key of keys) if (!users.has(key)) return null;
  return keys.length;
}
