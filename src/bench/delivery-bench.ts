/**
 * Delivery throughput: drains 10,000 pending webhook deliveries through the real dispatcher to a
 * local receiver that verifies each signature and answers 200. Target: ≥ 500 deliveries/s.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/load-config.js';
import { createDispatcher } from '../delivery/dispatcher.js';
import { createSilentLogger } from '../logger.js';
import { destinationSpecsFromConfig, planDeliveries } from '../roster/delivery-plan.js';
import type { EventDraft } from '../roster/events.js';
import { startWebhookReceiver } from '../simulator/receivers/webhook-receiver.js';
import { inTransaction, openStore } from '../store/db.js';
import { appendEvents } from '../store/events.js';
import { enqueueDeliveries } from '../store/outbox.js';
import { insertRun } from '../store/runs.js';

export interface DeliveryBenchResult {
  deliveries: number;
  seconds: number;
  perSecond: number;
}

function userAdded(i: number): EventDraft {
  const username = `bench-user-${i}`;
  return {
    type: 'victorops.user.added',
    subject: `users/${username}`,
    data: {
      user: {
        username,
        firstName: 'Bench',
        lastName: `User ${i}`,
        displayName: `Bench User ${i}`,
        email: `${username}@example.com`,
        createdAt: null,
        passwordLastUpdated: null,
        verified: true,
      },
    },
  };
}

export async function benchDelivery(options: { count?: number } = {}): Promise<DeliveryBenchResult> {
  const count = options.count ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-delivery-'));
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  const receiver = await startWebhookReceiver({
    host: '127.0.0.1',
    port: 0,
    secret,
    respond: () => ({ status: 200 }),
  });
  const store = openStore(join(dir, 'bench.db'));
  try {
    const config = loadConfig(
      {
        DATABASE_PATH: store.path,
        WEBHOOK_URLS: `${receiver.url}/hook`,
        WEBHOOK_SECRET: secret,
        EVENT_SOURCE: 'urn:bench',
      },
      { requireVictorOps: false },
    );
    const now = new Date().toISOString();
    inTransaction(store, () => {
      const runId = insertRun(store, {
        startedAt: now,
        finishedAt: now,
        status: 'ok',
        strategy: 'user',
        stats: { requests: 0, retries: 0, rateLimited: 0 },
        counts: null,
        failedScopes: [],
        changeCount: count,
        error: null,
        rosterHash: null,
      });
      const drafts = Array.from({ length: count }, (_, i) => userAdded(i));
      const events = appendEvents(store, drafts, { source: config.eventSource, runId, time: now });
      enqueueDeliveries(
        store,
        planDeliveries(events, destinationSpecsFromConfig(config.delivery)),
        Date.now(),
      );
    });
    const dispatcher = createDispatcher({
      store,
      config,
      logger: createSilentLogger(),
      clock: systemClock,
      source: config.eventSource,
    });
    const started = performance.now();
    const summary = await dispatcher.runOnce();
    const seconds = (performance.now() - started) / 1000;
    await dispatcher.stop();
    if (summary.delivered !== count || receiver.received.length !== count) {
      throw new Error(
        `delivery bench: delivered ${summary.delivered} (receiver got ${receiver.received.length}) of ${count}`,
      );
    }
    return { deliveries: count, seconds, perSecond: count / seconds };
  } finally {
    store.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
