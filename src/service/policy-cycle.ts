/**
 * One policy poll: claim the policy list call → fetch policies and schedules → decide (pure) →
 * recompute coverage → record everything in one transaction. Like the roster poll, an aborted
 * poll commits nothing.
 */
import { type Clock, monotonicNow } from '../clock.js';
import type { Logger } from '../logger.js';
import { decidePolicyPoll, type PolicyRunStatus } from '../roster/policy-decision.js';
import type { FetchedPolicies } from '../roster/policy-types.js';
import type { Team } from '../roster/types.js';
import { inTransaction, type Store } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadCurrentRoster } from '../store/history.js';
import { claimPolicyListCall, loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import { recordPolicyPoll } from '../store/policy-store.js';
import { failureStreak, hasPolicyBaseline } from '../store/runs.js';
import { VictorOpsError } from '../victorops/errors.js';
import { planCoverage } from './coverage-plan.js';
import { laterThanLastRun, PollAbortedError } from './poll-cycle.js';

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
  /**
   * What to do when another process read the policy list too recently: `wait` (the daemon) or
   * `refuse` (a one-off CLI run, which says when to try again).
   */
  whenListTooSoon: 'wait' | 'refuse';
  fetchPolicies: (teams: readonly Team[], signal: AbortSignal) => Promise<FetchedPolicies>;
  enqueue?: (events: StoredEvent[], runId: number) => void;
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

/** The policy list was read less than POLICY_LIST_MIN_INTERVAL_MS ago (by any process). */
export class PolicyListTooSoonError extends Error {
  readonly code = 'too_soon';
  constructor(
    readonly retryInMs: number,
    intervalMs: number,
  ) {
    super(
      `the VictorOps policy list was read less than ${intervalMs} ms ago (POLICY_LIST_MIN_INTERVAL_MS; VictorOps allows about one call a minute): try again in ${Math.ceil(retryInMs / 1000)} s, or pass --wait`,
    );
    this.name = 'PolicyListTooSoonError';
  }
}

async function claimListCall(deps: PolicyCycleDeps, signal: AbortSignal): Promise<void> {
  for (;;) {
    const permit = claimPolicyListCall(deps.store, deps.clock.now(), deps.policyListMinIntervalMs);
    if (permit.ok) return;
    if (deps.whenListTooSoon === 'refuse')
      throw new PolicyListTooSoonError(permit.retryInMs, deps.policyListMinIntervalMs);
    deps.logger.info({ waitMs: permit.retryInMs }, 'waiting for the policy list interval');
    try {
      await deps.clock.sleep(permit.retryInMs, signal);
    } catch {
      throw new PollAbortedError();
    }
  }
}

export async function runPolicyPollCycle(
  deps: PolicyCycleDeps,
  signal: AbortSignal,
): Promise<PolicyPollResult> {
  const { store, clock } = deps;
  await claimListCall(deps, signal);
  const startedMs = monotonicNow(clock);
  const wallStartedAt = new Date(clock.now()).toISOString();
  const teams = loadCurrentRoster(store)?.teams ?? [];
  let outcome: { ok: true; fetched: FetchedPolicies } | { ok: false; error: string };
  try {
    outcome = { ok: true, fetched: await deps.fetchPolicies(teams, signal) };
  } catch (error) {
    if (signal.aborted) throw new PollAbortedError();
    if (!(error instanceof VictorOpsError)) throw error;
    outcome = { ok: false, error: error.message };
  }
  if (signal.aborted) throw new PollAbortedError();

  const finishedMs = monotonicNow(clock);
  const wallFinishedAt = new Date(clock.now()).toISOString();
  const fetched = outcome.ok ? outcome.fetched : null;
  // Read, decide and write in one immediate transaction, so two processes never decide on the
  // same recorded state and record the same change twice.
  const { decision, coverage, recorded } = inTransaction(store, () => {
    const { startedAt, finishedAt } = laterThanLastRun(deps, wallStartedAt, wallFinishedAt);
    const previous = hasPolicyBaseline(store) ? loadCurrentPolicies(store) : null;
    const previousSchedules = loadTeamSchedules(store);
    const streak = failureStreak(store, 'policy');
    const decision = decidePolicyPoll({
      previous,
      previousSchedules,
      outcome,
      health: {
        consecutiveFailures: streak.count,
        failingSince: streak.since,
        pollFailingAfter: deps.pollFailingAfter,
        now: startedAt,
      },
    });
    const coverage = decision.apply
      ? planCoverage(store, {
          roster: loadCurrentRoster(store),
          policies: decision.apply.policies,
          schedules: decision.apply.effectiveSchedules,
          removedNow: [],
          now: finishedAt,
          ...(deps.oncallDaysForward === undefined ? {} : { daysForward: deps.oncallDaysForward }),
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
      ...(deps.enqueue ? { enqueue: deps.enqueue } : {}),
    });
    return { decision, coverage, recorded };
  });
  const result: PolicyPollResult = {
    runId: recorded.runId,
    status: decision.status,
    events: recorded.events,
    changes: decision.changes,
    error: decision.error,
    durationMs: finishedMs - startedMs,
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
  if (decision.status === 'failed')
    deps.logger.error({ ...summary, error: decision.error }, 'policy poll failed');
  else deps.logger.info(summary, 'policy poll finished');
  return result;
}
