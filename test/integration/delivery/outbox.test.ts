import { afterEach, describe, expect, it } from 'vitest';
import { planDeliveries } from '../../../src/roster/delivery-plan.js';
import {
  appendNoticeEvent,
  claimDueDeliveries,
  enqueueDeliveries,
  listDeliveries,
  OutboxError,
  pendingCountsByDestination,
  recordAttempt,
  requeueDeliveries,
  syncDestinations,
} from '../../../src/store/outbox.js';
import {
  aUser,
  createTempStore,
  drafts,
  insertEvents,
  insertRun,
  TEST_SOURCE,
  type TempStore,
} from '../../helpers/delivery-fixtures.js';

const stores: TempStore[] = [];
afterEach(() => {
  for (const t of stores.splice(0)) t.cleanup();
});

const specs = [
  { name: 'a', kind: 'webhook' as const, events: [] },
  { name: 'slack', kind: 'slack' as const, events: [] },
];

function filled(n: number) {
  const t = createTempStore();
  stores.push(t);
  syncDestinations(t.store, specs);
  const runId = insertRun(t.store);
  const stored = insertEvents(
    t.store,
    runId,
    Array.from({ length: n }, (_, i) => drafts.userAdded(aUser(`u${i}`))),
  );
  const planned = planDeliveries(stored, specs);
  expect(enqueueDeliveries(t.store, planned, 1_000)).toBe(n + 1);
  return { t, stored, runId, planned };
}

describe('outbox', () => {
  it('enqueues idempotently: re-planning the same events adds nothing', () => {
    const { t, planned } = filled(3);
    expect(enqueueDeliveries(t.store, planned, 2_000)).toBe(0);
    expect(pendingCountsByDestination(t.store)).toEqual([
      { destination: 'a', pending: 3, failed: 0, dead: 0 },
      { destination: 'slack', pending: 1, failed: 0, dead: 0 },
    ]);
  });

  it('stores no URL or secret for destinations', () => {
    const { t } = filled(1);
    const columns = t.store.sqlite.prepare('SELECT * FROM destinations').all();
    expect(JSON.stringify(columns)).not.toMatch(/http|whsec/);
  });

  it('claims oldest first and leases rows so they are not claimed twice until the lease ends', () => {
    const { t, stored } = filled(5);
    const first = claimDueDeliveries(t.store, { destination: 'a', nowMs: 1_000, limit: 2, leaseMs: 500 });
    expect(first.map((r) => r.eventSequence)).toEqual([stored[0]!.sequence, stored[1]!.sequence]);
    const second = claimDueDeliveries(t.store, { destination: 'a', nowMs: 1_001, limit: 10, leaseMs: 500 });
    expect(second.map((r) => r.eventSequence)).toEqual(stored.slice(2).map((s) => s.sequence));
    // A crashed sender's rows come back when the lease runs out.
    const again = claimDueDeliveries(t.store, { destination: 'a', nowMs: 1_600, limit: 10, leaseMs: 500 });
    expect(again).toHaveLength(5);
  });

  it('uses the partial index to claim (no full sort of open rows)', () => {
    const { t } = filled(1);
    const plan = t.store.sqlite
      .prepare(
        `EXPLAIN QUERY PLAN SELECT d.id FROM deliveries d JOIN events e ON e.sequence = d.event_sequence
         WHERE d.destination = ? AND d.status IN ('pending', 'failed') AND d.next_attempt_at_ms <= ?
         ORDER BY d.event_sequence, d.id LIMIT ?`,
      )
      .all('a', 1, 1) as { detail: string }[];
    const details = plan.map((p) => p.detail).join('\n');
    expect(details).toContain('deliveries_open_dest_seq_idx');
    expect(details).not.toContain('TEMP B-TREE');
  });

  it('records attempts with the row state and truncates error excerpts', () => {
    const { t } = filled(1);
    const [row] = claimDueDeliveries(t.store, { destination: 'a', nowMs: 1_000, limit: 1, leaseMs: 500 });
    recordAttempt(t.store, {
      deliveryId: row!.id,
      attemptedAtMs: 1_100,
      statusCode: 500,
      latencyMs: 12,
      outcome: 'failed',
      error: 'x'.repeat(1_000),
      nextAttemptAtMs: 9_000,
    });
    const [listed] = listDeliveries(t.store, { destination: 'a', limit: 1 });
    expect(listed).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastStatusCode: 500,
      nextAttemptAt: new Date(9_000).toISOString(),
    });
    expect(listed!.lastError).toHaveLength(300);
  });

  it('requeues by event id (including its run digest), dead rows, or since a time, with the same event', () => {
    const { t, stored } = filled(3);
    for (const row of claimDueDeliveries(t.store, {
      destination: 'a',
      nowMs: 1_000,
      limit: 10,
      leaseMs: 1,
    })) {
      recordAttempt(t.store, {
        deliveryId: row.id,
        attemptedAtMs: 1_000,
        statusCode: 200,
        latencyMs: 1,
        outcome: 'delivered',
        error: null,
        nextAttemptAtMs: 0,
      });
    }
    const [digest] = claimDueDeliveries(t.store, {
      destination: 'slack',
      nowMs: 1_000,
      limit: 1,
      leaseMs: 1,
    });
    recordAttempt(t.store, {
      deliveryId: digest!.id,
      attemptedAtMs: 1_000,
      statusCode: 404,
      latencyMs: 1,
      outcome: 'dead',
      error: 'gone',
      nextAttemptAtMs: 0,
    });

    expect(requeueDeliveries(t.store, { eventId: stored[1]!.id }, 5_000)).toBe(2);
    expect(requeueDeliveries(t.store, { eventId: stored[2]!.id, destination: 'a' }, 5_000)).toBe(1);
    expect(requeueDeliveries(t.store, { dead: true }, 5_000)).toBe(0);
    expect(requeueDeliveries(t.store, { sinceIso: '2000-01-01T00:00:00Z' }, 5_000)).toBe(4);
    expect(requeueDeliveries(t.store, { sinceIso: '2999-01-01T00:00:00Z' }, 5_000)).toBe(0);
    const rows = listDeliveries(t.store, { limit: 10 });
    expect(rows.every((r) => r.status === 'pending' && r.attempts === 0)).toBe(true);
    expect(() => requeueDeliveries(t.store, { eventId: 'nope' }, 5_000)).toThrow(OutboxError);
    expect(() => requeueDeliveries(t.store, { sinceIso: 'yesterday' }, 5_000)).toThrow(OutboxError);
  });

  it('appends a run-less notice with its sequence in the envelope and routes it', () => {
    const { t, stored } = filled(1);
    const { sequence, id } = appendNoticeEvent(t.store, {
      draft: {
        type: 'rosterwatch.endpoint.disabled',
        subject: 'a',
        data: { destination: 'a', statusCode: 410, reason: 'gone' },
      },
      source: TEST_SOURCE,
      nowMs: 5_000,
      plan: (event) =>
        planDeliveries(
          [event],
          specs.filter((s) => s.name !== 'a'),
        ),
    });
    expect(sequence).toBe(stored[0]!.sequence + 1);
    const row = t.store.sqlite
      .prepare('SELECT run_id AS runId, envelope FROM events WHERE id = ?')
      .get(id) as {
      runId: number | null;
      envelope: string;
    };
    expect(row.runId).toBeNull();
    expect(JSON.parse(row.envelope)).toMatchObject({
      id,
      source: TEST_SOURCE,
      sequence: String(sequence).padStart(16, '0'),
    });
    const slackRows = listDeliveries(t.store, { destination: 'slack', limit: 10 });
    expect(slackRows.map((r) => r.eventType)).toContain('rosterwatch.endpoint.disabled');
    expect(listDeliveries(t.store, { destination: 'a', limit: 10 }).map((r) => r.eventType)).not.toContain(
      'rosterwatch.endpoint.disabled',
    );
  });
});
