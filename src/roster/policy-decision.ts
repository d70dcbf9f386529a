/**
 * What one policy poll means, decided purely from the recorded policies and schedules and the
 * fetch outcome: the run's status, the policies and schedules to record, and the policy events.
 */
import type { EventDraft } from './events.js';
import {
  countPolicyChanges,
  diffPolicies,
  mergeFailedPolicies,
  mergeFailedSchedules,
  type PolicyDiff,
  policyDiffToEvents,
  unreadPoliciesOf,
} from './policies.js';
import type { FetchedPolicies, Policy, TeamSchedule, UnreadPolicy } from './policy-types.js';
import { type PollHealthInput, pollHealthEvents } from './poll-health.js';
import {
  countRoutingKeyChanges,
  diffRoutingKeys,
  type RoutingKey,
  type RoutingKeyDiff,
  routingKeyDiffToEvents,
} from './routing-keys.js';

export type PolicyRunStatus = 'ok' | 'partial' | 'failed' | 'baseline';

export interface PolicyDecision {
  status: PolicyRunStatus;
  /** What to record; null when the fetch failed (everything recorded stays as it is). */
  apply: {
    policies: Policy[];
    diff: PolicyDiff;
    /** Only the schedules that were read; the others keep their stored snapshot. */
    schedules: TeamSchedule[];
    /** Every team's schedule as it stands after this run, for the coverage findings. */
    effectiveSchedules: TeamSchedule[];
    /** Listed but unreadable, with no recorded version: known to exist, steps unknown. */
    unreadPolicies: UnreadPolicy[];
    /**
     * The routing keys as they stand after this run (null while never read), and the history to
     * write when they were read now (null when not: the recorded keys stay, none is "removed").
     */
    routingKeys: RoutingKey[] | null;
    routingKeyDiff: RoutingKeyDiff | null;
  } | null;
  events: EventDraft[];
  changes: number;
  error: string | null;
}

export interface DecidePolicyPollInput {
  /** null before the first successful policy poll. */
  previous: Policy[] | null;
  previousSchedules: TeamSchedule[];
  outcome: { ok: true; fetched: FetchedPolicies } | { ok: false; error: string };
  /**
   * Slugs the last policy poll listed but could not read and had no version of: one read now is
   * recorded without a `victorops.policy.added` (it was there before, only unknown).
   */
  previousUnread?: ReadonlySet<string>;
  /** The recorded routing keys; null (or absent) before any poll read them. */
  previousRoutingKeys?: RoutingKey[] | null;
  /** The policy-poll failure streak before this poll, for failing/recovered notices. */
  health: Omit<PollHealthInput, 'kind' | 'ok' | 'error'>;
}

export function decidePolicyPoll(input: DecidePolicyPollInput): PolicyDecision {
  const { outcome } = input;
  const health = pollHealthEvents({
    ...input.health,
    kind: 'policy',
    ok: outcome.ok,
    error: outcome.ok ? null : outcome.error,
  });
  if (!outcome.ok) return { status: 'failed', apply: null, events: health, changes: 0, error: outcome.error };
  const { fetched } = outcome;
  const effectiveSchedules = mergeFailedSchedules(
    input.previousSchedules,
    fetched.schedules,
    fetched.failedScopes,
  );
  if (input.previous === null) {
    // A first poll must have every schedule, as for the roster: a team missing from it would
    // surface later as false changes. A policy whose detail cannot be read does not fail it: the
    // rest is recorded, that one is unknown (never "gone") and is tried again next poll.
    const scheduleFailures = fetched.failedScopes.filter((f) => f.kind === 'team-schedule');
    if (scheduleFailures.length > 0) {
      const error = `the first policy poll needs every team schedule, but ${scheduleFailures.length} could not be read (first: ${scheduleFailures[0]?.reason ?? ''})`;
      const failedHealth = pollHealthEvents({ ...input.health, kind: 'policy', ok: false, error });
      return { status: 'failed', apply: null, events: failedHealth, changes: 0, error };
    }
    // The first poll records what exists without announcing every policy as "added".
    const policies = fetched.policies;
    const keys = decideRoutingKeys(input.previousRoutingKeys ?? null, fetched.routingKeys ?? null);
    return {
      status: 'baseline',
      apply: {
        policies,
        diff: diffPolicies([], policies),
        schedules: fetched.schedules,
        effectiveSchedules,
        unreadPolicies: unreadPoliciesOf(fetched.failedScopes, new Set(policies.map((p) => p.slug))),
        routingKeys: keys.current,
        routingKeyDiff: keys.diff,
      },
      events: health,
      changes: 0,
      error: null,
    };
  }
  const policies = mergeFailedPolicies(input.previous, fetched.policies, fetched.failedScopes);
  const diff = diffPolicies(input.previous, policies);
  // A policy that was listed but unknown and is read now was not added now: record it quietly.
  const wasUnread = input.previousUnread ?? new Set<string>();
  const news = { ...diff, added: diff.added.filter((p) => !wasUnread.has(p.slug)) };
  const keys = decideRoutingKeys(input.previousRoutingKeys ?? null, fetched.routingKeys ?? null);
  return {
    status: fetched.failedScopes.length > 0 ? 'partial' : 'ok',
    apply: {
      policies,
      diff,
      schedules: fetched.schedules,
      effectiveSchedules,
      unreadPolicies: unreadPoliciesOf(fetched.failedScopes, new Set(policies.map((p) => p.slug))),
      routingKeys: keys.current,
      routingKeyDiff: keys.diff,
    },
    events: [...health, ...policyDiffToEvents(news), ...keys.events],
    changes: countPolicyChanges(news) + keys.changes,
    error: null,
  };
}

/**
 * Keys not read now keep what was recorded (no diff, no events). Keys read for the first time are
 * recorded quietly: the org had them before roster-watch looked, so none was "added" now.
 */
function decideRoutingKeys(previous: RoutingKey[] | null, read: RoutingKey[] | null) {
  if (read === null) return { current: previous, diff: null, events: [], changes: 0 };
  const diff = diffRoutingKeys(previous ?? [], read);
  if (previous === null) return { current: read, diff, events: [], changes: 0 };
  return { current: read, diff, events: routingKeyDiffToEvents(diff), changes: countRoutingKeyChanges(diff) };
}
