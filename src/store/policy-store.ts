/**
 * Writes one policy poll inside the caller's ONE synchronous transaction: the run row, the policy
 * history, the schedule snapshots and on-call reads, the findings, the events and their outbox rows.
 */

import type { PolicyDecision } from '../roster/policy-decision.js';
import type { PolicyFailedScope } from '../roster/policy-types.js';
import type { FetchStats } from '../roster/types.js';
import { requireTransaction, type Store } from './db.js';
import type { StoredEvent } from './events.js';
import { applyFindingsDiff } from './findings.js';
import { recordOncallReads } from './oncall-reads.js';
import { applyPolicyHistory, saveTeamSchedules } from './policies.js';
import type { CoverageUpdate } from './poll-store.js';
import { applyRoutingKeyHistory } from './routing-keys.js';
import { appendRunEvents, type DeliveryTargets } from './run-events.js';
import { insertRun } from './runs.js';

export interface RecordPolicyPollInput {
  decision: PolicyDecision;
  failedScopes: PolicyFailedScope[];
  startedAt: string;
  finishedAt: string;
  stats: FetchStats;
  source: string;
  coverage: CoverageUpdate | null;
  deliveries: DeliveryTargets;
}

export function recordPolicyPoll(
  store: Store,
  input: RecordPolicyPollInput,
): { runId: number; events: StoredEvent[] } {
  const { decision } = input;
  requireTransaction(store, 'recordPolicyPoll');
  const runId = insertRun(store, {
    kind: 'policy',
    startedAt: input.startedAt,
    finishedAt: input.finishedAt,
    // A policy run's status is one of the roster statuses; the kind column tells them apart.
    status: decision.status,
    strategy: null,
    stats: input.stats,
    counts: decision.apply
      ? { users: null, teams: decision.apply.effectiveSchedules.length, memberships: null }
      : null,
    failedScopes: input.failedScopes,
    changeCount: decision.changes,
    error: decision.error,
    rosterHash: null,
    policyCount: decision.apply?.policies.length ?? null,
  });
  if (decision.apply) {
    applyPolicyHistory(store, runId, input.finishedAt, decision.apply.diff);
    if (decision.apply.routingKeyDiff)
      applyRoutingKeyHistory(store, runId, input.finishedAt, decision.apply.routingKeyDiff);
    saveTeamSchedules(store, runId, input.finishedAt, decision.apply.schedules);
    recordOncallReads(store, runId, input.finishedAt, decision.apply.schedules);
  }
  if (input.coverage) applyFindingsDiff(store, input.coverage.diff, runId, input.finishedAt);
  const events = appendRunEvents(
    store,
    [...decision.events, ...(input.coverage?.events ?? [])],
    { source: input.source, runId, time: input.finishedAt },
    input.deliveries,
  );
  return { runId, events };
}
