/**
 * The roster domain: what roster-watch knows about a VictorOps org at one moment.
 * Pure types only; every other layer speaks in these.
 */

import type { Team, User } from '../contract/catalogue.js';
import { wellFormed } from './well-formed.js';

/** The user fields that are compared field by field for `victorops.user.changed`. */
export { USER_FIELDS, type UserField } from '../contract/names.js';
/** User and Team are the event catalogue's (src/contract/catalogue.ts): what events carry. */
export type { Team, User };

export interface Membership {
  username: string;
  teamSlug: string;
}

/**
 * A whole roster, sorted: users by lower-cased username, teams by slug, memberships by
 * (lower-cased username, slug). Build one with `normaliseRoster` so the invariants hold.
 */
export interface Roster {
  users: User[];
  teams: Team[];
  memberships: Membership[];
}

/**
 * What coverage findings read of a user (roster/coverage.ts): the compiler holds them to it, so an
 * unchanged poll gives them the recorded users' two fields without parsing the user list.
 */
export type CoverageUser = Pick<User, 'username' | 'verified'>;

/** The users and teams coverage findings read of a roster. */
export interface CoveragePeople {
  users: readonly CoverageUser[];
  teams: Team[];
}

// The store trusts the keys it recorded from a user list by its bytes' digest: a change here must
// bump USER_LIST_READER_VERSION (victorops/user-list-reader.ts), though a sample's key is salted in.
/**
 * Case-insensitive join key for usernames (VictorOps compares them with EqualFold), well-formed as
 * SQLite can keep it (roster/well-formed.ts): a member list's spelling with a lone surrogate keys to
 * its user's, normalised.
 */
export function usernameKey(username: string): string {
  return wellFormed(username.toLowerCase());
}

/**
 * Pending invitations appear as users whose username begins `invited_`; what follows is not
 * documented, so only the prefix is matched, in any case.
 */
export function isPendingInvitee(username: string): boolean {
  return username.toLowerCase().startsWith('invited_');
}

export type MembershipSource = 'user' | 'team';

/** A part of the membership fetch that could not be read; its memberships are unknown, not empty. */
export type FailedScope =
  | { kind: 'user-teams'; username: string; reason: string }
  | { kind: 'team-members'; teamSlug: string; reason: string };

export interface FetchStats {
  requests: number;
  retries: number;
  rateLimited: number;
}

/** The outcome of a roster fetch that got at least the user list. */
export interface FetchedRoster {
  roster: Roster;
  strategy: MembershipSource;
  /** Empty when every membership scope was read. */
  failedScopes: FailedScope[];
  stats: FetchStats;
  startedAt: string;
  finishedAt: string;
  /** Membership hints seen and followed by this fetch; absent in fetches recorded before hints existed. */
  hints?: FetchedHints;
}

/** What the hints did in one fetch (see roster/membership-hints.ts). */
export interface FetchedHints {
  /** Every listed team's hints, as `GET /v1/team` gave them. */
  listed: { slug: string; version: number | null; memberCount: number | null }[];
  /** Teams whose members were read completely in this fetch: their hints are recorded with them. */
  read: string[];
  /** Teams not read because their hints did not move: their recorded members stand. */
  carried: string[];
  /** Unchanged teams read anyway to check the hints. */
  verified: string[];
  /**
   * Teams read in full whose member count differed from the listed `memberCount`, on the poll's
   * team list and on a second one read after: the API contradicting itself (absent in older fetches).
   */
  contradicted?: { slug: string; listed: number; read: number }[];
}
