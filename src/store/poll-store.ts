/**
 * Writes one poll's outcome inside the caller's ONE synchronous transaction (the cycle's, which
 * also holds the reads the decision was made on): the run row, the history, the events, the guard
 * state and the events' outbox rows. A crash before COMMIT leaves nothing;
 * after it, everything. This is what makes "nothing lost, nothing invented" hold.
 */
import type { FindingsDiff } from '../roster/coverage-types.js';
import { countChanges } from '../roster/diff.js';
import type { EventDraft } from '../roster/events.js';
import { userCount } from '../roster/normalise.js';
import type { PollDecision } from '../roster/poll-decision.js';
import type { FetchedRoster, FetchStats } from '../roster/types.js';
import { requireTransaction, type Store } from './db.js';
import type { StoredEvent } from './events.js';
import { applyFindingsDiff } from './findings.js';
import { applyHoldAction } from './guard-holds.js';
import { applyHistory } from './history.js';
import { appendRunEvents, type DeliveryTargets } from './run-events.js';
import { insertRun } from './runs.js';
import {
  clearHintsUnreliable,
  markHintsUnreliable,
  refreshHintsUnreliable,
  saveFetchedHints,
} from './team-hints.js';

export interface RecordPollInput {
  decision: PollDecision;
  fetched: FetchedRoster | null;
  startedAt: string;
  finishedAt: string;
  stats: FetchStats;
  rosterHash: string | null;
  source: string;
  /** The destinations owed this run's events: their outbox rows are written with them. */
  deliveries: DeliveryTargets;
  newId?: () => string;
  /** Coverage findings recomputed against this run's roster: committed with the change that caused them. */
  coverage?: CoverageUpdate | null;
  /**
   * The recorded roster's counts when the decision does not carry that roster (an unchanged poll
   * decided from fingerprints: decideUnchangedPoll); absent: taken from `decision.recorded`.
   */
  counts?: { users: number; teams: number; memberships: number };
  /** false for `accept`: a held fetch's reads are old, so its hints must not vouch for today. */
  recordHints?: boolean;
}

export interface CoverageUpdate {
  diff: FindingsDiff;
  events: EventDraft[];
}

export interface RecordedPoll {
  runId: number;
  events: StoredEvent[];
}

export function recordPoll(store: Store, input: RecordPollInput): RecordedPoll {
  const { decision, fetched } = input;
  requireTransaction(store, 'recordPoll');
  const roster = decision.recorded;
  const runId = insertRun(store, {
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    status: decision.status,
    strategy: fetched?.strategy ?? null,
    stats: input.stats,
    counts:
      input.counts ??
      (roster
        ? { users: userCount(roster), teams: roster.teams.length, memberships: roster.memberships.length }
        : null),
    failedScopes: fetched?.failedScopes ?? [],
    changeCount: decision.apply && decision.status !== 'baseline' ? countChanges(decision.apply.diff) : 0,
    error: decision.error,
    rosterHash: input.rosterHash,
  });
  if (decision.apply) applyHistory(store, runId, input.finishedAt, decision.apply.diff);
  // A held run records nothing it read, hints included: the held change must be read again.
  const recorded =
    decision.status === 'ok' || decision.status === 'partial' || decision.status === 'baseline';
  if (recorded && fetched?.hints && (input.recordHints ?? true)) {
    saveFetchedHints(store, fetched.hints, runId, Date.parse(fetched.startedAt));
  }
  const mark = decision.hintsMark;
  if (mark?.kind === 'mark') {
    markHintsUnreliable(store, {
      teamSlug: mark.teamSlug,
      runId,
      since: input.finishedAt,
      lastContradictionAt: input.finishedAt,
    });
  } else if (mark?.kind === 'refresh') refreshHintsUnreliable(store, input.finishedAt);
  else if (mark?.kind === 'clear') clearHintsUnreliable(store);
  applyHoldAction(store, decision.hold, runId, input.finishedAt, fetched);
  if (input.coverage) applyFindingsDiff(store, input.coverage.diff, runId, input.finishedAt);
  const events = appendRunEvents(
    store,
    [...decision.events, ...(input.coverage?.events ?? [])],
    { source: input.source, runId, time: input.finishedAt, newId: input.newId },
    input.deliveries,
  );
  return { runId, events };
}
