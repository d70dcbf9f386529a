/**
 * Fingerprints of a roster: a content hash per user (all its recorded fields) and per team (its
 * sorted member list). The store keeps the recorded roster's fingerprints next to it, so a poll
 * finds what differs by comparing 20,000 short hashes and reads back only those rows, instead of
 * reading the whole recorded roster (users and memberships) as objects to compare. Pure: the hash
 * is injected (sha256 in production) so this module stays free of node:*.
 */
import { sameItems } from './diff.js';
import { recordedUsersOf, sameUsers } from './normalise.js';
import {
  type FailedScope,
  type Membership,
  type Roster,
  USER_FIELDS,
  type User,
  usernameKey,
} from './types.js';

export interface RosterFingerprints {
  /** Lower-cased username → fingerprint of the user's fields (its spelling included). */
  users: ReadonlyMap<string, string>;
  /** Team slug → fingerprint of its member list (lower-cased usernames, sorted); every team has one. */
  teams: Map<string, string>;
  /** Team slug → the member list that fingerprint hashes: the sorted lower-cased usernames joined by '\n'. */
  teamMembers: Map<string, string>;
  /**
   * The users' fingerprints in the order of `users` (this very array; its keys unique), when they
   * were hashed from it: the roster's digest then reads them in order instead of lower-casing and
   * looking up 20,000 names again.
   */
  ordered?: { users: readonly User[]; prints: readonly string[] };
}

// Salted, for a sample user, into the user list's digest (victorops/user-list-reader.ts): the
// recorded fingerprints of a list trusted by its bytes are then those this gives.
/** Every field the users table records, in a fixed order, so any recorded difference changes it. */
export function userFingerprintText(u: User): string {
  // The same array as [u.username, ...USER_FIELDS.map(...)], built once instead of twice (the map's
  // and the spread's): a changed poll fingerprints 20,000 users (issue 21, thirty-fourth part).
  const values: (string | boolean | null)[] = [u.username];
  for (let i = 0; i < USER_FIELDS.length; i++) values.push(u[USER_FIELDS[i]!]);
  return JSON.stringify(values);
}

/**
 * Team fingerprints known for a roster's memberships (`memberships`, these very objects in this
 * order), with the member lists they hash: the recorded roster as the fingerprint read rebuilt it.
 * A team's fingerprint depends on its members' keys alone, so a roster with the same membership
 * objects has these teams' fingerprints.
 */
export interface KnownTeamPrints {
  memberships: readonly Membership[];
  teams: Map<string, { fingerprint: string; list: string }>;
}

/**
 * A normalised roster's fingerprints (memberships sorted by user key, so each team's list is too).
 * `reuse`: fingerprints already taken of a roster with the very same users array (a poll's
 * fetched roster, when the roster it records differs from it only in carried memberships), and
 * the teams' fingerprints known for the very same memberships (`known`: an unchanged hinted poll
 * records the memberships it rebuilt, and grouped and hashed 60,000 of them again).
 * `merged`: `roster` is mergeFailedScopes of a roster with `known`'s memberships and of
 * `reuse.roster` over these scopes (a hinted changed poll records that merge): a team read is
 * `reuse`'s, a team not read is `known`'s without the members no longer users, and only teams
 * with neither are grouped from the 60,000 memberships.
 * `userPrints`: the users' fingerprints, known already (a user list whose bytes are the recorded
 * ones: its users' are the stored ones), so the users are not read.
 */
export function fingerprintRoster(
  roster: Roster,
  hashText: (text: string) => string,
  reuse?: {
    roster: Roster;
    prints: RosterFingerprints;
    known?: KnownTeamPrints | undefined;
    merged?: MergedScopes | undefined;
  },
  userPrints?: ReadonlyMap<string, string>,
): RosterFingerprints {
  let users: ReadonlyMap<string, string>;
  let ordered: RosterFingerprints['ordered'];
  if (userPrints !== undefined) {
    users = userPrints;
  } else if (reuse && sameUsers(reuse.roster, roster)) {
    users = reuse.prints.users;
    ordered = reuse.prints.ordered;
  } else {
    const hashed = new Map<string, string>();
    const inOrder: string[] = [];
    // Index loops here and over the memberships: a for-of's iterator results, made until the loop
    // is optimised, were MiBs of a one-shot CLI poll's garbage (issue 21, thirty-fourth part).
    const list = roster.users;
    for (let i = 0; i < list.length; i++) {
      const u = list[i]!;
      const print = hashText(userFingerprintText(u));
      hashed.set(usernameKey(u.username), print);
      inOrder.push(print);
    }
    users = hashed;
    // A key given twice leaves its last print in the map: then only the map says what the digest reads.
    if (hashed.size === list.length) ordered = { users: list, prints: inOrder };
  }
  const known =
    reuse?.known && sameItems(reuse.known.memberships, roster.memberships)
      ? reuse.known.teams
      : reuse?.merged && reuse.known
        ? mergedTeamPrints(roster, users, hashText, reuse.roster, reuse.prints, reuse.known, reuse.merged)
        : null;
  // Teams in the roster's order, each known or grouped from the memberships (only those not known).
  const members = new Map<string, string[] | { fingerprint: string; list: string }>();
  let unknown = 0;
  for (const t of roster.teams) {
    const print = known?.get(t.slug);
    if (print === undefined) unknown++;
    members.set(t.slug, print ?? []);
  }
  if (unknown > 0) {
    const list = roster.memberships;
    // A user's memberships come together (sorted by user): its key is made once, not once per team.
    let name: string | undefined;
    let key = '';
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      const keys = members.get(m.teamSlug);
      if (!Array.isArray(keys)) continue;
      if (m.username !== name) {
        name = m.username;
        key = usernameKey(name);
      }
      keys.push(key);
    }
  }
  const teams = new Map<string, string>();
  const teamMembers = new Map<string, string>();
  for (const [slug, keys] of members) {
    const list = Array.isArray(keys) ? keys.join('\n') : keys.list;
    teamMembers.set(slug, list);
    teams.set(slug, Array.isArray(keys) ? hashText(list) : keys.fingerprint);
  }
  return { users, teams, teamMembers, ...(ordered ? { ordered } : {}) };
}

/** The scopes mergeFailedScopes took from the roster before: failed ones, and teams carried by their hints. */
export interface MergedScopes {
  failed: readonly FailedScope[];
  carried: readonly string[];
}

/**
 * The teams of `roster`, mergeFailedScopes(before, fetched, scopes) with `before`'s memberships
 * those of `known`, whose fingerprints follow from `fetched`'s and `known`'s without grouping the
 * memberships: a team read has the fetched members (no user's memberships failed), a team not read
 * has the members before that are still users (`users`: the roster's, by key). A failed user's
 * memberships cross every team: then none is known here.
 */
function mergedTeamPrints(
  roster: Roster,
  users: ReadonlyMap<string, string>,
  hashText: (text: string) => string,
  fetched: Roster,
  fetchedPrints: RosterFingerprints,
  known: KnownTeamPrints,
  scopes: MergedScopes,
): Map<string, { fingerprint: string; list: string }> | null {
  // The merge keeps the fetched users and teams as they are: anything else is not that merge.
  if (!sameUsers(roster, fetched) || roster.teams !== fetched.teams) return null;
  const notRead = new Set(scopes.carried);
  for (const scope of scopes.failed) {
    if (scope.kind === 'user-teams') return null;
    notRead.add(scope.teamSlug);
  }
  const prints = new Map<string, { fingerprint: string; list: string }>();
  for (const t of roster.teams) {
    if (!notRead.has(t.slug)) {
      const fingerprint = fetchedPrints.teams.get(t.slug);
      const list = fetchedPrints.teamMembers.get(t.slug);
      if (fingerprint !== undefined && list !== undefined) prints.set(t.slug, { fingerprint, list });
      continue;
    }
    const before = known.teams.get(t.slug);
    if (before === undefined) continue;
    // A member who is no longer a user lost the membership: the list is hashed again without them.
    const keys = before.list === '' ? [] : before.list.split('\n');
    const kept = keys.filter((key) => users.has(key));
    if (kept.length === keys.length) prints.set(t.slug, before);
    else {
      const list = kept.join('\n');
      prints.set(t.slug, { fingerprint: hashText(list), list });
    }
  }
  return prints;
}

/**
 * A digest of the whole roster (the runs table's `roster_hash`), from its fingerprints: every
 * user's fields, every team's name and member list, without a transient string of the roster.
 * `userKeys`: the keys of the roster's users in its order, when known without reading them.
 */
export function digestRoster(
  roster: Roster,
  prints: RosterFingerprints,
  hashText: (text: string) => string,
  userKeys?: readonly string[],
): string {
  // One line a user ('u' and its fingerprint), then one a team: the users' lines joined from the
  // fingerprints themselves, not from a new string per user (20,000 on every poll).
  // The prints hashed from these very users, in their order: what the lookups by key would give.
  // A known user list's keys are its recorded ones: it is not parsed for them.
  const keys = userKeys ?? recordedUsersOf(roster)?.keys;
  const ordered =
    keys === undefined && prints.ordered !== undefined && prints.ordered.users === roster.users
      ? prints.ordered
      : null;
  let users: readonly string[];
  if (ordered) {
    users = ordered.prints;
  } else {
    const looked: string[] = [];
    for (const key of keys ?? roster.users.map((u) => usernameKey(u.username)))
      looked.push(prints.users.get(key) ?? '');
    users = looked;
  }
  const lines = users.length === 0 ? [] : [`u${users.join('\nu')}`];
  for (const t of roster.teams)
    lines.push(`t${JSON.stringify([t.slug, t.name])}${prints.teams.get(t.slug) ?? ''}`);
  return hashText(lines.join('\n'));
}
