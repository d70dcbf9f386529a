/**
 * The rules that keep roster-watch from reporting what did not happen: partial fetches keep the
 * memberships they could not read, and a mass removal is held until it is confirmed.
 */
import { compareMemberships, recordedUsersOf, userKeysOf, usernamesOf, withUsersOf } from './normalise.js';
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
  const teams = new Set(fetched.teams.map((t) => t.slug));
  // A carried membership spelled exactly as a fetched user is that user's (the users are unique by
  // key), so it keeps its object without lower-casing its name: a hinted poll carries ~60,000 and
  // lower-cased every one, and every fetched user's, for the few whose spelling changed. Only
  // those few are looked up by key, in a map built when the first of them comes.
  const spelled = new Set<string>();
  // Index loops: a for-of's iterator results, made until the loop is optimised, were MiBs of a
  // one-shot CLI poll's garbage (issue 21, thirty-fourth part).
  // A known user list's spellings are its recorded ones: it is not parsed for them.
  const recorded = recordedUsersOf(fetched);
  if (recorded) {
    for (let i = 0; i < recorded.keys.length; i++) spelled.add(recorded.names[i] ?? recorded.keys[i]!);
  } else {
    const users = fetched.users;
    for (let i = 0; i < users.length; i++) spelled.add(users[i]!.username);
  }
  let spelling: Map<string, string> | undefined;
  const carried: Membership[] = [];
  const before = previous.memberships;
  for (let i = 0; i < before.length; i++) {
    const m = before[i]!;
    // Gone from the user or team list: gone from every membership, whether its scope was read or not.
    if (!inFailedScope(m) || !teams.has(m.teamSlug)) continue;
    if (spelled.has(m.username)) {
      carried.push(m);
      continue;
    }
    spelling ??= spellingByKey(fetched);
    const username = spelling.get(usernameKey(m.username));
    if (username !== undefined) carried.push({ username, teamSlug: m.teamSlug });
  }
  return withUsersOf(fetched, { teams: fetched.teams, memberships: mergeSorted(kept, carried) });
}

/** Each user's spelling by key, of a known user list's recorded facts where the roster has them. */
function spellingByKey(roster: Roster): Map<string, string> {
  const names = usernamesOf(roster);
  const spelling = new Map<string, string>();
  userKeysOf(roster).forEach((key, at) => {
    spelling.set(key, names[at]!);
  });
  return spelling;
}

/**
 * Two memberships lists in normalised order, disjoint, merged into one in that order (on equal
 * keys `a`'s comes first). Each member of the shorter list is placed in the longer by a galloping
 * search from where the last one went (steps 1, 2, 4, … then a binary search): an unchanged hinted
 * poll merges the few hundred memberships of the teams it read into 60,000 carried ones, and a
 * step-by-step walk built two key strings for each of those 60,000 (with their garbage, a tenth of
 * that poll's cycle); the search compares a few dozen per placed membership, and about as many
 * as the walk when the lists are alike in length (compareMemberships: no key strings).
 */
export function mergeSorted(a: readonly Membership[], b: readonly Membership[]): Membership[] {
  if (b.length === 0) return a.slice();
  if (a.length === 0) return b.slice();
  const aShorter = a.length <= b.length;
  const short = aShorter ? a : b;
  const long = aShorter ? b : a;
  const merged: Membership[] = [];
  let from = 0;
  for (const m of short) {
    // Whether long[i] goes after m: on an equal key, a's first.
    const after = (i: number) => {
      const order = compareMemberships(long[i]!, m);
      return aShorter ? order >= 0 : order > 0;
    };
    // The first index from `from` on whose membership goes after m (long.length if none).
    let lo = from;
    let hi = from;
    for (let step = 1; hi < long.length && !after(hi); step *= 2) {
      lo = hi + 1;
      hi = from + step;
    }
    hi = Math.min(hi, long.length);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(mid)) hi = mid;
      else lo = mid + 1;
    }
    for (let i = from; i < lo; i++) merged.push(long[i]!);
    merged.push(m);
    from = lo;
  }
  for (let i = from; i < long.length; i++) merged.push(long[i]!);
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
