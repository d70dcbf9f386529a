/**
 * Recomputes coverage findings for the run being recorded. Called inside the run's transaction (the
 * cycle's synchronous record half), so what it reads is what that transaction then writes over.
 */
import { type CoverageRoster, computeFindings, diffFindings } from '../roster/coverage.js';
import { findingEvents } from '../roster/coverage-events.js';
import { isReachKind } from '../roster/coverage-types.js';
import type { Exemption } from '../roster/identity-types.js';
import type { Policy, TeamSchedule, UnreadPolicy } from '../roster/policy-types.js';
import type { RoutingKey } from '../roster/routing-keys.js';
import { usernameKey } from '../roster/types.js';
import type { Store } from '../store/db.js';
import { loadOpenFindings } from '../store/findings.js';
import { loadRemovedUsers } from '../store/history.js';
import type { CoverageUpdate } from '../store/poll-store.js';
import { loadCurrentRoutingKeys } from '../store/routing-keys.js';

export interface PlanCoverageInput {
  /**
   * The roster as it stands after this run (or its users, teams and member counts); null before the
   * roster baseline (no findings yet).
   */
  roster: CoverageRoster | null;
  /** Policies and schedules after this run; null before the first policy poll (no findings yet). */
  policies: readonly Policy[] | null;
  schedules: readonly TeamSchedule[];
  /** Policies listed but unreadable with no recorded version: they exist, their steps are unknown. */
  unreadPolicies: readonly UnreadPolicy[];
  /** Users this run removes, not yet in the history. */
  removedNow: readonly { username: string }[];
  now: string;
  /** ONCALL_DAYS_FORWARD. */
  daysForward?: number | undefined;
  /** The routing keys after this run; absent: as recorded (a roster poll does not read them). */
  routingKeys?: readonly RoutingKey[] | null | undefined;
  /** REACH_EXEMPT: routing keys that get no reachability finding. */
  reachExemptions?: readonly Exemption[] | undefined;
}

/**
 * Findings need both halves: without policies every team would look policy-less, and without a
 * roster every paged user would look removed. Until both exist nothing is reported.
 */
export function planCoverage(store: Store, input: PlanCoverageInput): CoverageUpdate | null {
  if (input.roster === null || input.policies === null) return null;
  const removedUsers = loadRemovedUsers(store);
  for (const u of input.removedNow) removedUsers.set(usernameKey(u.username), input.now);
  const computed = computeFindings({
    roster: input.roster,
    policies: input.policies,
    schedules: input.schedules,
    unreadPolicies: input.unreadPolicies,
    routingKeys: input.routingKeys === undefined ? loadCurrentRoutingKeys(store) : input.routingKeys,
    reachExemptions: input.reachExemptions ?? [],
    removedUsers,
    now: input.now,
    daysForward: input.daysForward,
  });
  // Reachability findings need contact methods, which only a contacts poll reads: it alone opens
  // and resolves them (contacts-cycle.ts), so they are left out of this diff.
  const open = loadOpenFindings(store).filter((o) => !isReachKind(o.finding.kind));
  const diff = diffFindings(open, computed);
  return { diff, events: findingEvents(diff, input.now) };
}
