/**
 * The rules that keep roster-watch from reporting what did not happen: partial fetches keep the
 * memberships they could not read, and a mass removal is held until it is confirmed.
 */
import { membershipKey, normaliseRoster } from './normalise.js';
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
  const inFailedScope = (m: Membership) =>
    failedUsers.has(usernameKey(m.username)) || failedTeams.has(m.teamSlug);
  const kept = fetched.memberships.filter((m) => !inFailedScope(m));
  const carried = previous.memberships.filter(inFailedScope);
  const memberships = new Map<string, Membership>();
  for (const m of [...kept, ...carried]) memberships.set(membershipKey(m), m);
  return normaliseRoster({
    users: fetched.users,
    teams: fetched.teams,
    memberships: [...memberships.values()],
  });
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
