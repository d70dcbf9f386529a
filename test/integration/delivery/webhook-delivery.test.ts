import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/load-config.js';
import { createDispatcher, type Dispatcher } from '../../../src/delivery/dispatcher.js';
import { createSilentLogger } from '../../../src/logger.js';
import { destinationSpecsFromConfig } from '../../../src/roster/delivery-plan.js';
import type { EventDraft } from '../../../src/roster/events.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../../src/simulator/receivers/webhook-receiver.js';
import { enableDestination } from '../../../src/store/outbox.js';
import { listDeliveries, listDestinationStates } from '../../../src/store/outbox-reads.js';
import {
  aDeliveryConfig,
  aTeam,
  aUser,
  aWebhookSecret,
  commitRun,
  createTempStore,
  drafts,
  TEST_SOURCE,
  type TempStore,
  type TestDestinations,
} from '../../helpers/delivery-fixtures.js';
import { assertValidEvent } from '../../helpers/event-schema.js';
import { awaitOutcomes, createFakeClock, type FakeClock } from '../../helpers/fake-clock.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(destinations: (t: TempStore) => TestDestinations): {
  t: TempStore;
  config: Config;
  dispatcher: Dispatcher;
  clock: FakeClock;
  commit: (list: readonly EventDraft[]) => ReturnType<typeof commitRun>;
} {
  const t = createTempStore();
  // Starts at the real time: receivers check `webhook-timestamp` against their own clock.
  const clock = createFakeClock(Date.now());
  const config = aDeliveryConfig(t.dir, t.path, destinations(t));
  const dispatcher = createDispatcher({
    store: t.store,
    config,
    logger: createSilentLogger(),
    clock,
    source: TEST_SOURCE,
  });
  cleanups.push(t.cleanup, () => dispatcher.stop());
  const commit = (list: readonly EventDraft[]) => commitRun(t.store, config, list, clock.now());
  return { t, config, dispatcher, clock, commit };
}

async function receiver(
  secret: string,
  respond?: Parameters<typeof startWebhookReceiver>[0]['respond'],
): Promise<WebhookReceiver> {
  const r = await startWebhookReceiver({
    host: '127.0.0.1',
    port: 0,
    secret,
    ...(respond ? { respond } : {}),
  });
  cleanups.push(() => r.close());
  return r;
}

const someChanges = (n: number) => Array.from({ length: n }, (_, i) => drafts.userAdded(aUser(`u${i}`)));

describe('webhook delivery', () => {
  it('delivers each event once, signed (verified by standardwebhooks), body byte for byte, oldest first', async () => {
    const secret = aWebhookSecret();
    const r = await receiver(secret);
    const { t, dispatcher, commit } = setup(() => ({
      webhooks: [{ name: 'hooks', url: `${r.url}/hook`, secret }],
      env: { DELIVERY_CONCURRENCY: '1' },
    }));
    const stored = commit(someChanges(5));
    const summary = await dispatcher.runOnce();
    expect(summary).toMatchObject({ attempted: 5, delivered: 5, failed: 0, dead: 0 });
    expect(r.rejected).toBe(0);
    expect(r.received.map((e) => e.webhookId)).toEqual(stored.map((s) => s.id));
    const envelopes = t.store.sqlite.prepare('SELECT envelope FROM events ORDER BY sequence').pluck().all();
    expect(r.received.map((e) => e.body)).toEqual(envelopes);
    expect(listDeliveries(t.store, { limit: 10 }).every((d) => d.status === 'delivered')).toBe(true);
    const attempts = t.store.sqlite
      .prepare('SELECT outcome, status_code AS statusCode FROM delivery_attempts')
      .all();
    expect(attempts).toHaveLength(5);
    expect(attempts.every((a) => (a as { statusCode: number }).statusCode === 204)).toBe(true);
    // A second pass has nothing left to do.
    expect((await dispatcher.runOnce()).attempted).toBe(0);
  });

  it('retries after 500s with the same webhook-id, without holding back later events', async () => {
    const secret = aWebhookSecret();
    const failuresLeft = new Map<string, number>();
    let first: string | undefined;
    const r = await receiver(secret, (e) => {
      first ??= e.webhookId;
      // The first event fails twice; every other event succeeds at once.
      const left = failuresLeft.get(e.webhookId) ?? (e.webhookId === first ? 2 : 0);
      failuresLeft.set(e.webhookId, left - 1);
      return left > 0 ? { status: 500, body: 'boom' } : { status: 200 };
    });
    const { t, dispatcher, clock, commit } = setup(() => ({
      webhooks: [{ name: 'hooks', url: r.url, secret }],
      env: { DELIVERY_CONCURRENCY: '1', DELIVERY_RETRY_SCHEDULE: '0ms,100ms,100ms,100ms' },
    }));
    const stored = commit(someChanges(4));
    const pass = await dispatcher.runOnce();
    expect(pass).toMatchObject({ attempted: 4, delivered: 3, failed: 1 });
    expect(r.received.map((e) => e.webhookId)).toEqual(stored.slice(1).map((s) => s.id));
    // The continuous loop sleeps until the retry is due; the fake clock moves to each wake-up.
    const retried = awaitOutcomes(dispatcher, 1, (_d, outcome) => outcome === 'delivered');
    dispatcher.start();
    await clock.runUntilSettled(retried);
    expect(r.received).toHaveLength(4);
    expect(listDeliveries(t.store, { limit: 10 }).every((d) => d.status === 'delivered')).toBe(true);
    const tries = r.attempts.filter((a) => a.webhookId === stored[0]!.id);
    expect(tries).toHaveLength(3);
    const row = listDeliveries(t.store, { limit: 10 }).find((d) => d.eventId === stored[0]!.id)!;
    expect(row).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });
    const log = t.store.sqlite
      .prepare(
        'SELECT status_code AS statusCode, outcome, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY id',
      )
      .all(row.id);
    expect(log).toEqual([
      { statusCode: 500, outcome: 'failed', error: 'HTTP 500: boom' },
      { statusCode: 500, outcome: 'failed', error: 'HTTP 500: boom' },
      { statusCode: 200, outcome: 'delivered', error: null },
    ]);
  });

  it('gets everything to an endpoint that was down and comes back up', async () => {
    const secret = aWebhookSecret();
    const down = await startWebhookReceiver({ host: '127.0.0.1', port: 0, secret });
    const port = down.port;
    await down.close();
    const { t, dispatcher, clock, commit } = setup(() => ({
      webhooks: [{ name: 'hooks', url: `http://127.0.0.1:${port}/`, secret }],
      env: { DELIVERY_RETRY_SCHEDULE: '0ms,50ms,50ms,50ms,50ms,50ms' },
    }));
    const stored = commit(someChanges(6));
    const pass = await dispatcher.runOnce();
    expect(pass).toMatchObject({ attempted: 6, failed: 6, delivered: 0 });
    expect(
      listDeliveries(t.store, { limit: 10 }).every((d) => d.status === 'failed' && d.lastStatusCode === null),
    ).toBe(true);
    const up = await startWebhookReceiver({ host: '127.0.0.1', port, secret });
    cleanups.push(() => up.close());
    const allDelivered = awaitOutcomes(dispatcher, 6, (_d, outcome) => outcome === 'delivered');
    dispatcher.start();
    await clock.runUntilSettled(allDelivered);
    expect(new Set(up.received.map((e) => e.webhookId))).toEqual(new Set(stored.map((s) => s.id)));
  });

  it('disables an endpoint that answers 410, announces it, and delivers its backlog once re-enabled', async () => {
    const secret = aWebhookSecret();
    let gone = true;
    const a = await receiver(secret, () => (gone ? { status: 410 } : { status: 204 }));
    const b = await receiver(secret);
    const { t, config, dispatcher, commit, clock } = setup(() => ({
      webhooks: [
        { name: 'gone', url: a.url, secret },
        { name: 'other', url: b.url, secret },
      ],
    }));
    const stored = commit(someChanges(5));
    const pass = await dispatcher.runOnce();
    expect(pass.disabledDuringPass).toEqual(['gone']);
    const state = listDestinationStates(t.store).find((d) => d.name === 'gone')!;
    expect(state.disabledAt).not.toBeNull();
    expect(a.attempts.length).toBeGreaterThanOrEqual(1);
    expect(a.attempts.length).toBeLessThanOrEqual(config.delivery.concurrencyPerDestination);
    // The other endpoint got every change and the notice about the disabled one.
    expect(b.received).toHaveLength(6);
    const notice = b.received.find((e) => e.event.type === 'rosterwatch.endpoint.disabled')!;
    expect(notice.event.data).toEqual({
      destination: 'gone',
      statusCode: 410,
      reason: 'the endpoint answered 410 Gone',
    });
    expect(notice.event).not.toHaveProperty('runid');

    const triesWhileDisabled = a.attempts.length;
    expect((await dispatcher.runOnce()).skippedDisabled).toEqual(['gone']);
    expect(a.attempts.length).toBe(triesWhileDisabled);
    expect(
      listDeliveries(t.store, { destination: 'gone', limit: 10 }).every((d) => d.status !== 'delivered'),
    ).toBe(true);

    gone = false;
    const notify = destinationSpecsFromConfig(config.delivery);
    expect(enableDestination(t.store, 'gone', { source: 'urn:test', nowMs: clock.now(), notify })).toBe(
      'enabled',
    );
    await dispatcher.runOnce();
    const changes = a.received.filter((e) => e.event.type.startsWith('victorops.'));
    expect(new Set(changes.map((e) => e.webhookId))).toEqual(new Set(stored.map((s) => s.id)));
    // Both endpoints hear that it is back: what it was disabled for, and the backlog it gets now.
    for (const r of [a, b]) {
      const enabled = r.received.filter((e) => e.event.type === 'rosterwatch.endpoint.enabled');
      expect(enabled).toHaveLength(1);
      expect(enabled[0]!.event.data).toEqual({
        destination: 'gone',
        disabledAt: state.disabledAt,
        reason: 'the endpoint answered 410 Gone',
        waiting: 5,
      });
      expect(enabled[0]!.event).not.toHaveProperty('runid');
      assertValidEvent(enabled[0]!.event);
    }
    // A second enable changes nothing and announces nothing.
    expect(enableDestination(t.store, 'gone', { source: 'urn:test', nowMs: clock.now(), notify })).toBe(
      'not-disabled',
    );
    expect((await dispatcher.runOnce()).attempted).toBe(0);
  });

  it('does not let a hanging endpoint delay another', async () => {
    const secret = aWebhookSecret();
    const hanging = await receiver(secret, () => new Promise(() => {}));
    const healthy = await receiver(secret);
    const { t, dispatcher, commit } = setup(() => ({
      webhooks: [
        { name: 'hanging', url: hanging.url, secret },
        { name: 'healthy', url: healthy.url, secret },
      ],
      env: { WEBHOOK_TIMEOUT_MS: '20000', DELIVERY_CONCURRENCY: '2' },
    }));
    commit(someChanges(20));
    const healthyDone = awaitOutcomes(dispatcher, 20, (destination) => destination === 'healthy');
    dispatcher.start();
    // The hanging endpoint holds its requests for up to 20 s; the healthy one gets everything while
    // those requests are still open, so it cannot have waited for them.
    await healthyDone;
    expect(healthy.received).toHaveLength(20);
    expect(
      listDeliveries(t.store, { destination: 'healthy', limit: 30 }).every((d) => d.status === 'delivered'),
    ).toBe(true);
    expect(
      listDeliveries(t.store, { destination: 'hanging', limit: 30 }).every((d) => d.attempts === 0),
    ).toBe(true);
    expect(hanging.received).toHaveLength(0);
    expect(hanging.attempts.length).toBeLessThanOrEqual(2);
    await hanging.close();
  });

  it('stops trying a hanging endpoint for the rest of a one-shot pass; its rows wait for their retry', async () => {
    const secret = aWebhookSecret();
    const hanging = await receiver(secret, () => new Promise(() => {}));
    const { t, dispatcher, commit } = setup(() => ({
      webhooks: [{ name: 'hanging', url: hanging.url, secret }],
      env: { WEBHOOK_TIMEOUT_MS: '300', DELIVERY_CONCURRENCY: '2' },
    }));
    commit(someChanges(12));
    const pass = await dispatcher.runOnce();
    // Only the first batch waited out the timeout; the other 10 rows were not sent into the hang.
    expect(pass).toMatchObject({ attempted: 2, failed: 2, delivered: 0 });
    expect(hanging.attempts.length).toBeLessThanOrEqual(2);
    const rows = listDeliveries(t.store, { limit: 20 });
    expect(rows.filter((d) => d.status === 'failed')).toHaveLength(2);
    expect(rows.filter((d) => d.status === 'pending')).toHaveLength(10);
    await hanging.close();
  });

  it('routes events to each endpoint by its event-type filter', async () => {
    const secret = aWebhookSecret();
    const users = await receiver(secret);
    const teams = await receiver(secret);
    const everything = await receiver(secret);
    const { dispatcher, commit } = setup(() => ({
      webhooks: [
        { name: 'users', url: users.url, secret, events: ['victorops.user.*'] },
        { name: 'teams', url: teams.url, secret, events: ['victorops.team.*', 'victorops.membership.added'] },
        { name: 'everything', url: everything.url, secret },
      ],
    }));
    const team = aTeam('team-a', 'A');
    commit([
      drafts.userAdded(aUser('a')),
      drafts.teamAdded(team),
      drafts.membershipAdded('a', team),
      drafts.membershipRemoved('b', team),
      drafts.userRemoved(aUser('b')),
    ]);
    await dispatcher.runOnce();
    const types = (r: WebhookReceiver) => r.received.map((e) => e.event.type).sort();
    expect(types(users)).toEqual(['victorops.user.added', 'victorops.user.removed']);
    expect(types(teams)).toEqual(['victorops.membership.added', 'victorops.team.added']);
    expect(types(everything)).toHaveLength(5);
  });
});
