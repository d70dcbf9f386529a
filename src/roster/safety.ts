/**
 * The rules that keep roster-watch from reporting what did not happen: partial fetches keep the
 * memberships they could not read, and a mass removal is held until it is confirmed.
 */
import { compareText, membershipKey } from './normalise.js';
import type { FailedScope, Membership, Roster } from './types.js';
import { usernameKey } from './types.js';

/**
 * The roster to compare against when some membership scopes failed: a failed user's memberships
 * and a failed team's members are taken from the previous roster (unknown is not "empty"). They
 * still disappear when the user or team itself is gone, because the user and team lists were
 * read completely.
 */
export function mergeFailedScopes(
  previous: Roster,
  fetched: Roster,
  failed: readonly FailedScope[],
  /** Teams not read because their hints did not move: kept exactly like a failed team. */
  carriedTeams: readonly string[] = [],
): Roster {
  if (failed.length === 0 && carriedTeams.length === 0) return fetched;
  const failedUsers = new Set<string>();
  const failedTeams = new Set<string>(carriedTeams);
  for (const scope of failed) {
    if (scope.kind === 'user-teams') failedUsers.add(usernameKey(scope.username));
    else failedTeams.add(scope.teamSlug);
  }
  // Failed users are rare (user-teams scopes only): their lower-casing is skipped without them.
  const inFailedScope =
    failedUsers.size === 0
      ? (m: Membership) => failedTeams.has(m.teamSlug)
      : (m: Membership) => failedUsers.has(usernameKey(m.username)) || failedTeams.has(m.teamSlug);
  // Kept and carried are disjoint (a membership is in a failed or carried scope or not), and each
  // is a sorted subsequence of a normalised roster, so one merge gives the normalised result. With
  // hints, most teams are carried on every poll: this avoids a map and a re-sort of the whole org.
  const kept = fetched.memberships.filter((m) => !inFailedScope(m));
  const spelling = new Map(fetched.users.map((u) => [usernameKey(u.username), u.username]));
  const teams = new Set(fetched.teams.map((t) => t.slug));
  const carried: Membership[] = [];
  for (const m of previous.memberships) {
    if (!inFailedScope(m)) continue;
    const username = spelling.get(usernameKey(m.username));
    // Gone from the user or team list: gone from every membership, whether its scope was read or not.
    if (username === undefined || !teams.has(m.teamSlug)) continue;
    carried.push(username === m.username ? m : { username, teamSlug: m.teamSlug });
  }
  return { users: fetched.users, teams: fetched.teams, memberships: mergeSorted(kept, carried) };
}

/** Two memberships lists in normalised order, disjoint, merged into one in that order. */
export function mergeSorted(a: readonly Membership[], b: readonly Membership[]): Membership[] {
  const merged: Membership[] = [];
  let i = 0;
  let j = 0;
  // Each key built once, not once per comparison: an unchanged hinted poll merges 60,000.
  let x = a.length > 0 ? membershipKey(a[0]!) : '';
  let y = b.length > 0 ? membershipKey(b[0]!) : '';
  while (i < a.length && j < b.length) {
    if (compareText(x, y) <= 0) {
      merged.push(a[i]!);
      if (++i < a.length) x = membershipKey(a[i]!);
    } else {
      merged.push(b[j]!);
      if (++j < b.length) y = membershipKey(b[j]!);
    }
  }
  while (i < a.length) merged.push(a[i++]!);
  while (j < b.length) merged.push(b[j++]!);
  return merged;
}

export interface GuardSettings {
  maxFraction: number;
  min: number;
  confirmations: number;
}

export interface GuardVerdict {
  trips: boolean;
  removed: number;
  known: number;
  fraction: number;
}

/** The mass-removal guard trips when more than maxFraction of known users AND at least min would go. */
export function evaluateRemovalGuard(
  knownUsers: number,
  removedUsers: number,
  settings: GuardSettings,
): GuardVerdict {
  const fraction = knownUsers === 0 ? 0 : removedUsers / knownUsers;
  return {
    trips: removedUsers >= settings.min && removedUsers > 0 && fraction > settings.maxFraction,
    removed: removedUsers,
    known: knownUsers,
    fraction,
  };
}
