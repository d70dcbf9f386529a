/**
 * One user's or one team's recorded history for the web view: every version and every
 * membership interval, read through the (key, valid_from) indexes.
 *
 * Raw SQL on purpose: the page benchmark (`node dist/bench/run.js ui`) depends on each query using
 * exactly the index it was written for, which hand-written SQL keeps visible and stable (a user or
 * team page 20 to 33 ms at p95 under load, 2026-11-30, docs/benchmarks.md).
 */
import type { Shift } from '../roster/policy-types.js';
import type { Store } from './db.js';

export interface UserVersion {
  username: string;
  firstName: string | null;
  lastName: string | null;
  displayName: string | null;
  email: string | null;
  createdAt: string | null;
  passwordLastUpdated: string | null;
  verified: number | null;
  validFrom: string;
  validTo: string | null;
  fromRunId: number;
}

export interface MembershipInterval {
  username: string;
  teamSlug: string;
  validFrom: string;
  validTo: string | null;
}

export interface TeamVersion {
  slug: string;
  name: string;
  validFrom: string;
  validTo: string | null;
  fromRunId: number;
}

/** A user's versions, oldest first (empty when the username was never recorded). */
export function loadUserVersions(store: Store, username: string): UserVersion[] {
  return store.sqlite
    .prepare(
      `SELECT username, first_name AS firstName, last_name AS lastName, display_name AS displayName, email,
              created_at AS createdAt, password_last_updated AS passwordLastUpdated, verified,
              valid_from AS validFrom, valid_to AS validTo, from_run_id AS fromRunId
       FROM users WHERE username_key = ? ORDER BY valid_from, row_id`,
    )
    .all(username.toLowerCase()) as UserVersion[];
}

export function loadUserMemberships(store: Store, username: string): MembershipInterval[] {
  return store.sqlite
    .prepare(
      `SELECT username, team_slug AS teamSlug, valid_from AS validFrom, valid_to AS validTo
       FROM memberships WHERE username_key = ? ORDER BY valid_from, row_id`,
    )
    .all(username.toLowerCase()) as MembershipInterval[];
}

export function loadTeamVersions(store: Store, slug: string): TeamVersion[] {
  return store.sqlite
    .prepare(
      `SELECT slug, name, valid_from AS validFrom, valid_to AS validTo, from_run_id AS fromRunId
       FROM teams WHERE slug = ? ORDER BY valid_from, row_id`,
    )
    .all(slug) as TeamVersion[];
}

/** A team's membership intervals, newest first, at most `limit`. */
export function loadTeamMemberships(store: Store, slug: string, limit: number): MembershipInterval[] {
  return store.sqlite
    .prepare(
      `SELECT username, team_slug AS teamSlug, valid_from AS validFrom, valid_to AS validTo
       FROM memberships WHERE team_slug = ? ORDER BY valid_from DESC, row_id DESC LIMIT ?`,
    )
    .all(slug, limit) as MembershipInterval[];
}

/** The latest recorded name of each team slug (current or not), for labelling memberships. */
export function loadTeamNames(store: Store, slugs: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const latest = store.sqlite.prepare(
    'SELECT name FROM teams WHERE slug = ? ORDER BY valid_from DESC LIMIT 1',
  );
  for (const slug of new Set(slugs)) {
    const row = latest.get(slug) as { name: string } | undefined;
    if (row !== undefined) names.set(slug, row.name);
  }
  return names;
}

/** Each username's latest recorded name ("First Last", else the display name), for listing people. */
export function loadUserNames(store: Store, usernames: readonly string[]): Map<string, string> {
  const names = new Map<string, string>();
  const latest = store.sqlite.prepare(
    `SELECT first_name AS firstName, last_name AS lastName, display_name AS displayName
     FROM users WHERE username_key = ? ORDER BY valid_from DESC LIMIT 1`,
  );
  for (const username of new Set(usernames)) {
    const row = latest.get(username.toLowerCase()) as
      | { firstName: string | null; lastName: string | null; displayName: string | null }
      | undefined;
    if (row === undefined) continue;
    const name = [row.firstName, row.lastName].filter((p) => p !== null && p !== '').join(' ');
    const shown = name === '' ? (row.displayName ?? '') : name;
    if (shown !== '') names.set(username, shown);
  }
  return names;
}

/**
 * The slug a team filter means: the value itself when a team was ever recorded with that slug,
 * else the slug of the team most recently recorded with that name (case-insensitive), else the
 * value unchanged. Teams are few, so the name lookup reads the teams table.
 */
export function resolveTeamSlug(store: Store, value: string): string {
  const bySlug = store.sqlite.prepare('SELECT slug FROM teams WHERE slug = ? LIMIT 1').get(value);
  if (bySlug !== undefined) return value;
  const byName = store.sqlite
    .prepare('SELECT slug FROM teams WHERE lower(name) = lower(?) ORDER BY valid_from DESC LIMIT 1')
    .get(value) as { slug: string } | undefined;
  return byName?.slug ?? value;
}

export interface PolicyVersion {
  slug: string;
  name: string;
  teamSlug: string;
  /** The steps as stored (JSON); the page reads them with the store's own upgrade (policies.ts). */
  steps: string;
  validFrom: string;
  validTo: string | null;
  fromRunId: number;
}

/** A policy's versions, oldest first, through `policies_slug_from_idx`. */
export function loadPolicyVersions(store: Store, slug: string): PolicyVersion[] {
  return store.sqlite
    .prepare(
      `SELECT slug, name, team_slug AS teamSlug, steps, valid_from AS validFrom, valid_to AS validTo,
              from_run_id AS fromRunId
       FROM policies WHERE slug = ? ORDER BY valid_from, row_id`,
    )
    .all(slug) as PolicyVersion[];
}

/** One team's recorded on-call shifts (its primary-key row), not every team's schedule. */
export function loadTeamShifts(store: Store, slug: string): Shift[] {
  const row = store.sqlite.prepare('SELECT shifts FROM team_schedules WHERE team_slug = ?').get(slug) as
    | { shifts: string }
    | undefined;
  return row === undefined ? [] : (JSON.parse(row.shifts) as Shift[]);
}
