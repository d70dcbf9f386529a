/**
 * One poll: fetch → decide (pure) → record in one transaction. Network I/O happens before the
 * transaction; delivery happens after it, from the outbox. An aborted poll (shutdown) commits
 * nothing at all.
 */
import { createHash } from 'node:crypto';
import { type Clock, monotonicNow } from '../clock.js';
import type { Logger } from '../logger.js';
import { decidePoll, type PollDecision, type RunStatus } from '../roster/poll-decision.js';
import type { GuardSettings } from '../roster/safety.js';
import type { FetchedRoster, Roster } from '../roster/types.js';
import { inTransaction, type Store } from '../store/db.js';
import type { StoredEvent } from '../store/events.js';
import { loadHeldFetch, loadOpenHold } from '../store/guard-holds.js';
import { loadCurrentRoster } from '../store/history.js';
import { loadCurrentPolicies, loadTeamSchedules } from '../store/policies.js';
import { recordPoll } from '../store/poll-store.js';
import { failureStreak, hasPolicyBaseline, keepRunTimesMonotonic } from '../store/runs.js';
import { VictorOpsError } from '../victorops/errors.js';
import { planCoverage } from './coverage-plan.js';

export interface PollCycleDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  source: string;
  guard: GuardSettings;
  pollFailingAfter: number;
  /** Fetches the live roster; rejects when the user list cannot be read. */
  fetchRoster: (signal: AbortSignal) => Promise<FetchedRoster>;
  /** Inside the transaction: enqueue outbox rows for the new events. */
  enqueue?: (events: StoredEvent[], runId: number) => void;
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

/** Thrown when a poll is cancelled; nothing was written. */
export class PollAbortedError extends Error {
  readonly code = 'aborted';
  constructor() {
    super('the poll was cancelled before it was recorded; nothing was written');
    this.name = 'PollAbortedError';
  }
}

export async function runPollCycle(deps: PollCycleDeps, signal: AbortSignal): Promise<PollResult> {
  const startedMs = monotonicNow(deps.clock);
  const startedAt = new Date(deps.clock.now()).toISOString();
  let outcome: { ok: true; fetched: FetchedRoster } | { ok: false; error: string };
  try {
    outcome = { ok: true, fetched: await deps.fetchRoster(signal) };
  } catch (error) {
    if (signal.aborted) throw new PollAbortedError();
    if (!(error instanceof VictorOpsError)) throw error;
    outcome = { ok: false, error: error.message };
  }
  if (signal.aborted) throw new PollAbortedError();
  return commitPoll(deps, { outcome, startedAt, startedMs, accept: false });
}

/** `roster-watch accept`: applies the held fetch at once, as a run of its own. */
export function acceptHeldChange(deps: PollCycleDeps): PollResult | null {
  const hold = loadOpenHold(deps.store);
  if (!hold) return null;
  const fetched = loadHeldFetch(deps.store, hold.id);
  if (!fetched) return null;
  return commitPoll(deps, {
    outcome: { ok: true, fetched },
    startedAt: new Date(deps.clock.now()).toISOString(),
    startedMs: monotonicNow(deps.clock),
    accept: true,
  });
}

function commitPoll(
  deps: PollCycleDeps,
  input: {
    outcome: { ok: true; fetched: FetchedRoster } | { ok: false; error: string };
    startedAt: string;
    /** Monotonic (monotonicNow), for the duration only. */
    startedMs: number;
    accept: boolean;
  },
): PollResult {
  const { store } = deps;
  const fetched = input.outcome.ok ? input.outcome.fetched : null;
  const finishedMs = monotonicNow(deps.clock);
  const wallFinishedAt = new Date(deps.clock.now()).toISOString();
  // Read, decide and write in ONE immediate transaction: a second process polling the same
  // database (the daemon and a cron `poll`) waits here instead of deciding on the same state
  // and recording the same change twice.
  const { decision, recorded } = inTransaction(store, () => {
    const { startedAt, finishedAt } = laterThanLastRun(deps, input.startedAt, wallFinishedAt);
    const streak = failureStreak(store);
    const previous = loadCurrentRoster(store);
    const policies = hasPolicyBaseline(store) ? loadCurrentPolicies(store) : null;
    const decision: PollDecision = decidePoll({
      previous,
      outcome: input.outcome,
      openHold: loadOpenHold(store),
      guard: deps.guard,
      consecutiveFailures: streak.count,
      failingSince: streak.since,
      pollFailingAfter: deps.pollFailingAfter,
      now: startedAt,
      hashText: sha256,
      accept: input.accept,
      policies: policies ?? [],
    });
    // Findings follow the roster this run records, in the same transaction as the change causing them.
    const coverage =
      decision.status === 'failed'
        ? null
        : planCoverage(store, {
            roster: decision.apply?.roster ?? previous,
            policies,
            schedules: loadTeamSchedules(store),
            removedNow: decision.apply?.diff.usersRemoved ?? [],
            now: finishedAt,
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
      ...(deps.enqueue ? { enqueue: deps.enqueue } : {}),
    });
    return { decision, recorded };
  });
  const changes = recorded.events.filter((e) => e.type.startsWith('victorops.')).length;
  const result: PollResult = {
    runId: recorded.runId,
    status: decision.status,
    events: recorded.events,
    changes,
    error: decision.error,
    durationMs: finishedMs - input.startedMs,
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
  };
  if (decision.status === 'failed') deps.logger.error({ ...summary, error: decision.error }, 'poll failed');
  else if (decision.status === 'held') deps.logger.warn(summary, 'poll held by the mass-removal guard');
  else deps.logger.info(summary, 'poll finished');
  return result;
}

/**
 * Run times from the wall clock, moved up to the last run's time (with a warning) when the clock
 * stepped back. Call inside the run's transaction, so no other run slips in between.
 */
export function laterThanLastRun(
  deps: { store: Store; logger: Logger },
  startedAt: string,
  finishedAt: string,
): { startedAt: string; finishedAt: string } {
  const times = keepRunTimesMonotonic(deps.store, { startedAt, finishedAt });
  if (times.clockWasBehind !== null) {
    deps.logger.warn(
      { wallClock: startedAt, lastRunAt: times.clockWasBehind, recordedAt: times.startedAt },
      'the wall clock is behind the last recorded run (it stepped back): this run is recorded at the last run time so history never goes backwards; check NTP',
    );
  }
  return times;
}
