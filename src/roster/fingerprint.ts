/**
 * Fingerprints of a roster: a content hash per user (all its recorded fields) and per team (its
 * sorted member list). The store keeps the recorded roster's fingerprints next to it, so a poll
 * finds what differs by comparing 20,000 short hashes and reads back only those rows, instead of
 * reading the whole recorded roster (users and memberships) as objects to compare. Pure: the hash
 * is injected (sha256 in production) so this module stays free of node:*.
 */
import { sameItems } from './diff.js';
import { type Membership, type Roster, USER_FIELDS, type User, usernameKey } from './types.js';

export interface RosterFingerprints {
  /** Lower-cased username → fingerprint of the user's fields (its spelling included). */
  users: ReadonlyMap<string, string>;
  /** Team slug → fingerprint of its member list (lower-cased usernames, sorted); every team has one. */
  teams: Map<string, string>;
  /** Team slug → the member list that fingerprint hashes: the sorted lower-cased usernames joined by '\n'. */
  teamMembers: Map<string, string>;
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
 * `userPrints`: the users' fingerprints, known already (a user list whose bytes are the recorded
 * ones: its users' are the stored ones), so the users are not read.
 */
export function fingerprintRoster(
  roster: Roster,
  hashText: (text: string) => string,
  reuse?: { roster: Roster; prints: RosterFingerprints; known?: KnownTeamPrints | undefined },
  userPrints?: ReadonlyMap<string, string>,
): RosterFingerprints {
  let users: ReadonlyMap<string, string>;
  if (userPrints !== undefined) {
    users = userPrints;
  } else if (reuse && reuse.roster.users === roster.users) {
    users = reuse.prints.users;
  } else {
    const hashed = new Map<string, string>();
    // Index loops here and over the memberships: a for-of's iterator results, made until the loop
    // is optimised, were MiBs of a one-shot CLI poll's garbage (issue 21, thirty-fourth part).
    const list = roster.users;
    for (let i = 0; i < list.length; i++) {
      const u = list[i]!;
      hashed.set(usernameKey(u.username), hashText(userFingerprintText(u)));
    }
    users = hashed;
  }
  const known =
    reuse?.known && sameItems(reuse.known.memberships, roster.memberships) ? reuse.known.teams : null;
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
    for (let i = 0; i < list.length; i++) {
      const m = list[i]!;
      const keys = members.get(m.teamSlug);
      if (Array.isArray(keys)) keys.push(usernameKey(m.username));
    }
  }
  const teams = new Map<string, string>();
  const teamMembers = new Map<string, string>();
  for (const [slug, keys] of members) {
    const list = Array.isArray(keys) ? keys.join('\n') : keys.list;
    teamMembers.set(slug, list);
    teams.set(slug, Array.isArray(keys) ? hashText(list) : keys.fingerprint);
  }
  return { users, teams, teamMembers };
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
  const users: string[] = [];
  for (const key of userKeys ?? roster.users.map((u) => usernameKey(u.username)))
    users.push(prints.users.get(key) ?? '');
  const lines = users.length === 0 ? [] : [`u${users.join('\nu')}`];
  for (const t of roster.teams)
    lines.push(`t${JSON.stringify([t.slug, t.name])}${prints.teams.get(t.slug) ?? ''}`);
  return hashText(lines.join('\n'));
}
