/**
 * One roster poll, as a spec for the cycle skeleton (cycle.ts): fetch → in one transaction read,
 * decide (pure) and record with the outbox rows → result → log. Delivery happens afterwards, from
 * the outbox. An aborted poll (shutdown) commits nothing at all.
 */

import { createHash } from 'node:crypto';
import { type Clock, monotonicNow } from '../clock.js';
import type { Logger } from '../logger.js';
import type { DestinationSpec } from '../roster/delivery-plan.js';
import { isChangeEvent } from '../roster/events.js';
import { decidePoll, type PollDecision, type RunStatus } from '../roster/poll-decision.js';
import type { GuardSettings } from '../roster/safety.js';
import type { FetchedRoster, Roster } from '../roster/types.js';
import type { Store } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadHeldFetch, loadOpenHold } from '../store/guard-holds.js';
import { loadCurrentRoster } from '../store/history.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import { type RecordedPoll, recordPoll } from '../store/poll-store.js';
import { failureStreak, hasPolicyBaseline } from '../store/runs.js';
import { planCoverage } from './coverage-plan.js';
import {
  type CycleSpec,
  type FetchOutcome,
  fetchOutcome,
  laterThanLastRun,
  recordCycle,
  runCycle,
} from './cycle.js';

export interface PollCycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  source: string;
  guard: GuardSettings;
  pollFailingAfter: number;
  /** ONCALL_DAYS_FORWARD: how far ahead a rotation must have someone on call (default 14). */
  oncallDaysForward?: number;
  /** Fetches the live roster; rejects when the user list cannot be read. */
  fetchRoster: (signal: AbortSignal) => Promise<FetchedRoster>;
  /** The configured destinations: every recorded event gets its outbox rows in the run's transaction. */
  destinations: readonly DestinationSpec[];
}

export interface PollResult {
  runId: number;
  status: RunStatus;
  events: StoredEvent[];
  changes: number;
  error: string | null;
  durationMs: number;
  fetched: FetchedRoster | null;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A digest of the whole roster for the runs table. Hashed item by item rather than over one
 * JSON string: a 20,000-user roster would otherwise need a transient string of several MB.
 */
export function hashRoster(roster: Roster): string {
  const hash = createHash('sha256');
  for (const u of roster.users) hash.update(`u${JSON.stringify(u)}\n`);
  for (const t of roster.teams) hash.update(`t${JSON.stringify(t)}\n`);
  for (const m of roster.memberships) hash.update(`m${m.username}\u0000${m.teamSlug}\n`);
  return hash.digest('hex');
}

/** What the fetch half hands the transaction: the outcome and when it was read. */
interface RosterFetch {
  outcome: FetchOutcome<FetchedRoster>;
  startedAt: string;
  /** Monotonic (monotonicNow), for the duration only. */
  startedMs: number;
  finishedMs: number;
  wallFinishedAt: string;
}

export function runPollCycle(deps: PollCycleDeps, signal: AbortSignal): Promise<PollResult> {
  return runCycle(deps.store, rosterCycle(deps, false), signal);
}

/** `roster-watch accept`: applies the held fetch at once, as a run of its own. */
export function acceptHeldChange(deps: PollCycleDeps): PollResult | null {
  const hold = loadOpenHold(deps.store);
  if (!hold) return null;
  const fetched = loadHeldFetch(deps.store, hold.id);
  if (!fetched) return null;
  const startedAt = new Date(deps.clock.now()).toISOString();
  const startedMs = monotonicNow(deps.clock);
  return recordCycle(deps.store, rosterCycle(deps, true), {
    outcome: { ok: true, fetched },
    startedAt,
    startedMs,
    finishedMs: monotonicNow(deps.clock),
    wallFinishedAt: new Date(deps.clock.now()).toISOString(),
  });
}

function rosterCycle(
  deps: PollCycleDeps,
  accept: boolean,
): CycleSpec<
  RosterFetch,
  { input: RosterFetch; decision: PollDecision; recorded: RecordedPoll },
  PollResult
> {
  const { store, clock } = deps;
  return {
    async fetch(signal) {
      const startedMs = monotonicNow(clock);
      const startedAt = new Date(clock.now()).toISOString();
      const outcome = await fetchOutcome(() => deps.fetchRoster(signal));
      return {
        outcome,
        startedAt,
        startedMs,
        finishedMs: monotonicNow(clock),
        wallFinishedAt: new Date(clock.now()).toISOString(),
      };
    },
    record(input) {
      const fetched = input.outcome.ok ? input.outcome.fetched : null;
      const { startedAt, finishedAt } = laterThanLastRun(
        deps,
        'roster',
        input.startedAt,
        input.wallFinishedAt,
      );
      const streak = failureStreak(store);
      const previous = loadCurrentRoster(store);
      const policies = hasPolicyBaseline(store) ? loadCurrentPolicies(store) : null;
      const openHold = loadOpenHold(store);
      const schedules = loadTeamSchedules(store);
      const decision: PollDecision = decidePoll({
        previous,
        outcome: input.outcome,
        openHold,
        guard: deps.guard,
        consecutiveFailures: streak.count,
        failingSince: streak.since,
        pollFailingAfter: deps.pollFailingAfter,
        now: startedAt,
        hashText: sha256,
        accept,
        policies: policies ?? [],
      });
      // Findings follow the roster this run records, in the same transaction as the change causing them.
      const coverage =
        decision.status === 'failed'
          ? null
          : planCoverage(store, {
              roster: decision.apply?.roster ?? previous,
              policies,
              schedules,
              removedNow: decision.apply?.diff.usersRemoved ?? [],
              now: finishedAt,
              ...(deps.oncallDaysForward === undefined ? {} : { daysForward: deps.oncallDaysForward }),
            });
      const recorded = recordPoll(store, {
        decision,
        fetched,
        startedAt,
        finishedAt,
        stats: fetched?.stats ?? { requests: 0, retries: 0, rateLimited: 0 },
        rosterHash: decision.recorded ? hashRoster(decision.recorded) : null,
        source: deps.source,
        coverage,
        recordHints: !accept,
        deliveries: { destinations: deps.destinations, nowMs: clock.now() },
      });
      return { input, decision, recorded };
    },
    finish: ({ input, decision, recorded }) => reportPoll(deps.logger, input, decision, recorded),
  };
}

function reportPoll(
  logger: Logger,
  input: RosterFetch,
  decision: PollDecision,
  recorded: RecordedPoll,
): PollResult {
  const fetched = input.outcome.ok ? input.outcome.fetched : null;
  const changes = recorded.events.filter((e) => isChangeEvent(e.type)).length;
  const result: PollResult = {
    runId: recorded.runId,
    status: decision.status,
    events: recorded.events,
    changes,
    error: decision.error,
    durationMs: input.finishedMs - input.startedMs,
    fetched,
  };
  const summary = {
    runId: result.runId,
    status: result.status,
    changes,
    events: recorded.events.length,
    durationMs: result.durationMs,
    strategy: fetched?.strategy,
    requests: fetched?.stats.requests,
    retries: fetched?.stats.retries,
    rateLimited: fetched?.stats.rateLimited,
    users: fetched?.roster.users.length,
    failedScopes: fetched?.failedScopes.length,
    teamsRead: fetched?.hints ? fetched.hints.read.length : undefined,
    teamsCarried: fetched?.hints ? fetched.hints.carried.length : undefined,
  };
  if (decision.status === 'failed') logger.error({ ...summary, error: decision.error }, 'poll failed');
  else if (decision.status === 'held') logger.warn(summary, 'poll held by the mass-removal guard');
  else logger.info(summary, 'poll finished');
  return result;
}
