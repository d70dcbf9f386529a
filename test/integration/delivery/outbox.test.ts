import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { createDispatcher } from '../../../src/delivery/dispatcher.js';
import { OutboxError } from '../../../src/errors.js';
import { createSilentLogger } from '../../../src/logger.js';
import { planDeliveries } from '../../../src/roster/delivery-plan.js';
import {
  appendNoticeEvent,
  claimDueDeliveries,
  enqueueDeliveries,
  recordAttempt,
  requeueDeliveries,
  syncDestinations,
} from '../../../src/store/outbox.js';
import { listDeliveries, pendingCountsByDestination } from '../../../src/store/outbox-reads.js';
import {
  aDeliveryConfig,
  aUser,
  aWebhookSecret,
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

  it('stores no URL or secret for destinations', async () => {
    const t = createTempStore();
    stores.push(t);
    const secret = aWebhookSecret();
    const config = aDeliveryConfig(t.dir, t.path, {
      webhooks: [{ name: 'siem', url: 'https://siem.example.com/ingest/path-tok3n?sig=query-tok3n', secret }],
      slackUrl: 'https://hooks.slack.com/services/T000/B000/slack-tok3n',
    });
    // The dispatcher records its destinations from the loaded config, as in production.
    const dispatcher = createDispatcher({
      store: t.store,
      config,
      logger: createSilentLogger(),
      clock: systemClock,
      source: TEST_SOURCE,
    });
    await dispatcher.stop();
    const names = t.store.sqlite.prepare('SELECT name, kind FROM destinations ORDER BY name').all();
    expect(names).toEqual([
      { name: 'siem', kind: 'webhook' },
      { name: 'slack', kind: 'slack' },
    ]);
    const tables = t.store.sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .all() as string[];
    const everything = JSON.stringify(
      tables.map((table) => t.store.sqlite.prepare(`SELECT * FROM "${table}"`).all()),
    );
    expect(everything).not.toMatch(/tok3n|siem\.example|hooks\.slack/);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice('whsec_'.length));
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
    const t = createTempStore();
    stores.push(t);
    // The plan of the statement the store really runs: record the SQL it prepares on first use.
    const prepared: string[] = [];
    const prepare = t.store.sqlite.prepare.bind(t.store.sqlite);
    t.store.sqlite.prepare = ((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as typeof t.store.sqlite.prepare;
    syncDestinations(t.store, specs);
    expect(claimDueDeliveries(t.store, { destination: 'a', nowMs: 1_000, limit: 1, leaseMs: 500 })).toEqual(
      [],
    );
    const claim = prepared.filter((sql) =>
      /^\s*SELECT[\s\S]*FROM deliveries[\s\S]*ORDER BY[\s\S]*LIMIT \?/.test(sql),
    );
    expect(claim).toHaveLength(1);
    const plan = t.store.sqlite.prepare(`EXPLAIN QUERY PLAN ${claim[0]}`).all('a', 1, 1) as {
      detail: string;
    }[];
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

  it('lists a row that names no event (the column allows it) instead of dropping it, newest first', () => {
    const { t, runId } = filled(1);
    t.store.sqlite
      .prepare(
        `INSERT INTO deliveries (destination, kind, event_sequence, run_id, status, attempts, next_attempt_at_ms, created_at)
         VALUES ('a', 'digest', NULL, ?, 'dead', 3, 0, '2026-01-01T00:00:00.000Z')`,
      )
      .run(runId);
    const [orphan, ...rest] = listDeliveries(t.store, { limit: 10 });
    expect(orphan).toMatchObject({
      kind: 'digest',
      eventSequence: null,
      eventId: null,
      eventType: null,
      runId,
    });
    expect(rest).toHaveLength(2);
    expect(rest.every((r) => r.eventSequence !== null && r.eventId !== null)).toBe(true);
    expect(listDeliveries(t.store, { status: 'dead', limit: 10 }).map((r) => r.id)).toEqual([orphan!.id]);
    expect(listDeliveries(t.store, { beforeId: orphan!.id, limit: 10 })).toEqual(rest);
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
