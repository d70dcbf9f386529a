/**
 * Seeds a history with what policy polls read of the on-call schedules: one recorded policy run per
 * read, and its reads written by the policy poll's own recorder (recordOncallReads), in one
 * transaction like the poll. For benchmarks and tests of the on-call reads; nothing else in it.
 */
import type { TeamSchedule } from '../roster/policy-types.js';
import { inTransaction, type Store } from '../store/db.js';
import { recordOncallReads } from '../store/oncall-reads.js';
import { insertRun } from '../store/runs.js';

/** Records a policy run at `at` (ISO) whose schedule reads are `schedules`; returns the run id. */
export function recordPolicyRead(
  store: Store,
  at: string,
  schedules: readonly TeamSchedule[],
  status: 'ok' | 'baseline' = 'ok',
): number {
  return inTransaction(store, () => {
    const runId = insertRun(store, {
      kind: 'policy',
      startedAt: at,
      finishedAt: at,
      status,
      strategy: null,
      stats: { requests: 0, retries: 0, rateLimited: 0 },
      counts: null,
      failedScopes: [],
      changeCount: 0,
      error: null,
      rosterHash: null,
    });
    recordOncallReads(store, runId, at, schedules);
    return runId;
  });
}
