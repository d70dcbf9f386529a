/**
 * One policy poll, as a spec for the cycle skeleton (cycle.ts): claim the policy list call → fetch
 * policies and schedules → in one transaction read, decide (pure), recompute coverage and record
 * everything with its outbox rows. Like the roster poll, an aborted
 * poll commits nothing.
 */
import { type Clock, monotonicNow } from '../clock.js';
import { PolicyListTooSoonError, PollAbortedError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DestinationSpec } from '../roster/delivery-plan.js';
import type { Exemption } from '../roster/identity-types.js';
import { decidePolicyPoll, type PolicyDecision, type PolicyRunStatus } from '../roster/policy-decision.js';
import type { FetchedPolicies } from '../roster/policy-types.js';
import type { Team } from '../roster/types.js';
import type { Store } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadCurrentCoverageRoster, loadCurrentTeams } from '../store/history.js';
import {
  claimPolicyListCall,
  loadCurrentPolicies,
  loadTeamSchedules,
  loadUnreadPolicies,
  type PolicyListPermit,
  releasePolicyListClaim,
} from '../store/policies.js';
import { recordPolicyPoll } from '../store/policy-store.js';
import type { CoverageUpdate } from '../store/poll-store.js';
import { loadCurrentRoutingKeys } from '../store/routing-keys.js';
import { failureStreak, hasPolicyBaseline } from '../store/runs.js';
import { planCoverage } from './coverage-plan.js';
import { type CycleSpec, type FetchOutcome, fetchOutcome, laterThanLastRun, runCycle } from './cycle.js';

export interface PolicyCycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  source: string;
  policyListMinIntervalMs: number;
  /** Announce `rosterwatch.poll.failing` after this many consecutive failed policy polls. */
  pollFailingAfter: number;
  /** ONCALL_DAYS_FORWARD: how far ahead a rotation must have someone on call (default 14). */
  oncallDaysForward?: number;
  /** REACH_EXEMPT: routing keys that get no reachability finding. */
  reachExemptions?: readonly Exemption[];
  /**
   * What to do when another process read the policy list too recently: `wait` (the daemon) or
   * `refuse` (a one-off CLI run, which says when to try again).
   */
  whenListTooSoon: 'wait' | 'refuse';
  /** Hears of each wait for the policy list interval before it starts (the CLI says why and how long). */
  onListWait?: ((wait: PolicyListWait) => void) | undefined;
  fetchPolicies: (teams: readonly Team[], signal: AbortSignal) => Promise<FetchedPolicies>;
  /** The configured destinations: every recorded event gets its outbox rows in the run's transaction. */
  destinations: readonly DestinationSpec[];
}

/** A wait for the policy list interval (another process or doctor read the list recently). */
export interface PolicyListWait {
  waitMs: number;
  intervalMs: number;
}

export interface PolicyPollResult {
  runId: number;
  status: PolicyRunStatus;
  events: StoredEvent[];
  changes: number;
  error: string | null;
  durationMs: number;
  fetched: FetchedPolicies | null;
}

async function claimListCall(deps: PolicyCycleDeps, signal: AbortSignal): Promise<PolicyListPermit> {
  for (;;) {
    const permit = claimPolicyListCall(deps.store, deps.clock.now(), deps.policyListMinIntervalMs);
    if (permit.ok) return permit;
    if (deps.whenListTooSoon === 'refuse')
      throw new PolicyListTooSoonError(permit.retryInMs, deps.policyListMinIntervalMs);
    deps.logger.info({ waitMs: permit.retryInMs }, 'waiting for the policy list interval');
    deps.onListWait?.({
      waitMs: permit.retryInMs,
      intervalMs: deps.policyListMinIntervalMs,
    });
    try {
      await deps.clock.sleep(permit.retryInMs, signal);
    } catch {
      throw new PollAbortedError();
    }
  }
}

export function runPolicyPollCycle(deps: PolicyCycleDeps, signal: AbortSignal): Promise<PolicyPollResult> {
  return runCycle(deps.store, policyCycle(deps), signal);
}

interface PolicyFetch {
  outcome: FetchOutcome<FetchedPolicies>;
  startedMs: number;
  wallStartedAt: string;
  finishedMs: number;
  wallFinishedAt: string;
}

interface PolicyRecorded {
  input: PolicyFetch;
  decision: PolicyDecision;
  coverage: CoverageUpdate | null;
  recorded: { runId: number; events: StoredEvent[] };
}

function policyCycle(deps: PolicyCycleDeps): CycleSpec<PolicyFetch, PolicyRecorded, PolicyPollResult> {
  const { store, clock } = deps;
  return {
    async fetch(signal) {
      const permit = await claimListCall(deps, signal);
      const startedMs = monotonicNow(clock);
      const wallStartedAt = new Date(clock.now()).toISOString();
      // The teams whose schedules to read: what the last roster poll recorded (the teams alone:
      // the record step reads what the findings need of the roster, once).
      const teams = loadCurrentTeams(store);
      let outcome: FetchOutcome<FetchedPolicies> | null = null;
      try {
        outcome = await fetchOutcome(() => deps.fetchPolicies(teams, signal));
      } finally {
        // Stopped or failed before the list request was sent (the client records each send):
        // nobody called it, so the claim is given back instead of delaying every process a minute.
        if (outcome === null || !outcome.ok) releasePolicyListClaim(store, permit);
      }
      return {
        outcome,
        startedMs,
        wallStartedAt,
        finishedMs: monotonicNow(clock),
        wallFinishedAt: new Date(clock.now()).toISOString(),
      };
    },
    record(input) {
      const { outcome } = input;
      const fetched = outcome.ok ? outcome.fetched : null;
      const { startedAt, finishedAt } = laterThanLastRun(
        deps,
        'policy',
        input.wallStartedAt,
        input.wallFinishedAt,
      );
      const previous = hasPolicyBaseline(store) ? loadCurrentPolicies(store) : null;
      const previousSchedules = loadTeamSchedules(store);
      const streak = failureStreak(store, 'policy');
      // What the findings read of the roster: its users, teams and member counts (not 60,000 memberships).
      const roster = loadCurrentCoverageRoster(store);
      const decision = decidePolicyPoll({
        previous,
        previousSchedules,
        outcome,
        previousUnread: new Set(loadUnreadPolicies(store).map((p) => p.slug)),
        previousRoutingKeys: loadCurrentRoutingKeys(store),
        health: {
          consecutiveFailures: streak.count,
          failingSince: streak.since,
          pollFailingAfter: deps.pollFailingAfter,
          now: startedAt,
        },
      });
      const coverage = decision.apply
        ? planCoverage(store, {
            roster,
            policies: decision.apply.policies,
            schedules: decision.apply.effectiveSchedules,
            unreadPolicies: decision.apply.unreadPolicies,
            routingKeys: decision.apply.routingKeys,
            removedNow: [],
            now: finishedAt,
            daysForward: deps.oncallDaysForward,
            reachExemptions: deps.reachExemptions,
          })
        : null;
      const recorded = recordPolicyPoll(store, {
        decision,
        failedScopes: fetched?.failedScopes ?? [],
        startedAt,
        finishedAt,
        stats: fetched?.stats ?? { requests: 0, retries: 0, rateLimited: 0 },
        source: deps.source,
        coverage,
        deliveries: { destinations: deps.destinations, nowMs: clock.now() },
      });
      return { input, decision, coverage, recorded };
    },
    finish: (done) => reportPolicyPoll(deps.logger, done),
  };
}

function reportPolicyPoll(
  logger: Logger,
  { input, decision, coverage, recorded }: PolicyRecorded,
): PolicyPollResult {
  const fetched = input.outcome.ok ? input.outcome.fetched : null;
  const result: PolicyPollResult = {
    runId: recorded.runId,
    status: decision.status,
    events: recorded.events,
    changes: decision.changes,
    error: decision.error,
    durationMs: input.finishedMs - input.startedMs,
    fetched,
  };
  const summary = {
    runId: result.runId,
    kind: 'policy',
    status: result.status,
    changes: result.changes,
    events: recorded.events.length,
    findingsAppeared: coverage?.diff.appeared.length ?? 0,
    findingsResolved: coverage?.diff.resolved.length ?? 0,
    policies: fetched?.policies.length,
    requests: fetched?.stats.requests,
    failedScopes: fetched?.failedScopes.length,
    durationMs: result.durationMs,
  };
  if (decision.status === 'failed') logger.error({ ...summary, error: decision.error }, 'policy poll failed');
  else logger.info(summary, 'policy poll finished');
  return result;
}
