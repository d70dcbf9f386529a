import { decidePolicyPoll } from '../../src/roster/policy-decision.js';
import type { Policy, TeamSchedule } from '../../src/roster/policy-types.js';
import { inTransaction, type Store } from '../../src/store/db.js';
import { recordPolicyPoll } from '../../src/store/policy-store.js';

/** The first policy poll of `policies`, as the policy cycle decides and records it: the roster's findings start. */
export function recordPolicyBaseline(
  store: Store,
  policies: Policy[],
  { at = '2026-02-01T00:00:00.000Z', schedules = [] }: { at?: string; schedules?: TeamSchedule[] } = {},
): void {
  const stats = { requests: 2, retries: 0, rateLimited: 0 };
  const decision = decidePolicyPoll({
    previous: null,
    previousSchedules: [],
    outcome: {
      ok: true,
      fetched: { policies, schedules, failedScopes: [], stats, startedAt: at, finishedAt: at },
    },
    health: { consecutiveFailures: 0, failingSince: null, pollFailingAfter: 3, now: at },
  });
  inTransaction(store, () =>
    recordPolicyPoll(store, {
      decision,
      failedScopes: [],
      startedAt: at,
      finishedAt: at,
      stats,
      source: 'urn:test',
      coverage: null,
      deliveries: { destinations: [], nowMs: 0 },
    }),
  );
}
