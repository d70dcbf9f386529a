/**
 * Fingerprints of a roster: a content hash per user (all its recorded fields) and per team (its
 * sorted member list). The store keeps the recorded roster's fingerprints next to it, so a poll
 * finds what differs by comparing 20,000 short hashes and reads back only those rows, instead of
 * reading the whole recorded roster (users and memberships) as objects to compare. Pure: the hash
 * is injected (sha256 in production) so this module stays free of node:*.
 */
import { type Roster, USER_FIELDS, type User, usernameKey } from './types.js';

export interface RosterFingerprints {
  /** Lower-cased username → fingerprint of the user's fields (its spelling included). */
  users: Map<string, string>;
  /** Team slug → fingerprint of its member list (lower-cased usernames, sorted); every team has one. */
  teams: Map<string, string>;
  /** Team slug → the member list that fingerprint hashes: the sorted lower-cased usernames joined by '\n'. */
  teamMembers: Map<string, string>;
}

/** Every field the users table records, in a fixed order, so any recorded difference changes it. */
export function userFingerprintText(u: User): string {
  return JSON.stringify([u.username, ...USER_FIELDS.map((field) => u[field])]);
}

/**
 * A normalised roster's fingerprints (memberships sorted by user key, so each team's list is too).
 * `reuse`: fingerprints already taken of a roster with the very same users array (a poll's
 * fetched roster, when the roster it records differs from it only in carried memberships).
 */
export function fingerprintRoster(
  roster: Roster,
  hashText: (text: string) => string,
  reuse?: { roster: Roster; prints: RosterFingerprints },
): RosterFingerprints {
  let users: Map<string, string>;
  if (reuse && reuse.roster.users === roster.users) {
    users = reuse.prints.users;
  } else {
    users = new Map<string, string>();
    for (const u of roster.users) users.set(usernameKey(u.username), hashText(userFingerprintText(u)));
  }
  const members = new Map<string, string[]>();
  for (const t of roster.teams) members.set(t.slug, []);
  for (const m of roster.memberships) members.get(m.teamSlug)?.push(usernameKey(m.username));
  const teams = new Map<string, string>();
  const teamMembers = new Map<string, string>();
  for (const [slug, keys] of members) {
    const list = keys.join('\n');
    teamMembers.set(slug, list);
    teams.set(slug, hashText(list));
  }
  return { users, teams, teamMembers };
}

/**
 * A digest of the whole roster (the runs table's `roster_hash`), from its fingerprints: every
 * user's fields, every team's name and member list, without a transient string of the roster.
 */
export function digestRoster(
  roster: Roster,
  prints: RosterFingerprints,
  hashText: (text: string) => string,
): string {
  const parts: string[] = [];
  for (const u of roster.users) parts.push(`u${prints.users.get(usernameKey(u.username)) ?? ''}`);
  for (const t of roster.teams)
    parts.push(`t${JSON.stringify([t.slug, t.name])}${prints.teams.get(t.slug) ?? ''}`);
  return hashText(parts.join('\n'));
}
