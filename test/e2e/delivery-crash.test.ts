/**
 * At least once across crashes: the built CLI's `deliver` is SIGKILLed at random moments while
 * it drains a pre-filled outbox, restarted, and finally run to completion. Every event id must
 * reach the receiver (duplicates are allowed; loss is not).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createRandom } from '../../src/simulator/random.js';
import {
  startWebhookReceiver,
  type WebhookReceiver,
} from '../../src/simulator/receivers/webhook-receiver.js';
import { openStore } from '../../src/store/db.js';
import type { StoredEvent } from '../../src/store/events.js';
import { listDeliveries } from '../../src/store/outbox-reads.js';
import {
  aUser,
  aWebhookSecret,
  commitRun,
  createTempStore,
  drafts,
  type TempStore,
} from '../helpers/delivery-fixtures.js';

/** ROSTER_WATCH_CLI lets the test run against a build somewhere else. */
const CLI = process.env.ROSTER_WATCH_CLI ?? resolve('dist/cli.js');
const EVENTS = 400;
const KILLS = 5;

describe('delivery survives SIGKILL (built CLI)', () => {
  let receiver: WebhookReceiver;
  let t: TempStore;
  let stored: StoredEvent[];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    const secret = aWebhookSecret();
    // A little latency per request so kills land in the middle of the drain.
    receiver = await startWebhookReceiver({
      host: '127.0.0.1',
      port: 0,
      secret,
      respond: () => new Promise((done) => setTimeout(() => done({ status: 204 }), 5)),
    });
    t = createTempStore();
    env = {
      PATH: process.env.PATH,
      VO_API_ID: 'crash-test-org',
      DATABASE_PATH: t.path,
      WEBHOOK_URLS: `${receiver.url}/hook`,
      WEBHOOK_SECRET: secret,
      WEBHOOK_TIMEOUT_MS: '1000',
      DELIVERY_RETRY_SCHEDULE: '0ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    };
    const config = loadConfig(env, { requireVictorOps: false });
    stored = commitRun(
      t.store,
      config,
      Array.from({ length: EVENTS }, (_, i) => drafts.userAdded(aUser(`crash-${i}`))),
    );
    t.store.close();
  });

  afterAll(async () => {
    await receiver?.close();
    t?.cleanup();
  });

  function deliver(): { child: ChildProcess; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [CLI, 'deliver'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((done) =>
      child.on('exit', (code) => {
        if (code !== null && code !== 0) process.stderr.write(`deliver exited ${code}: ${stderr}\n`);
        done(code);
      }),
    );
    return { child, exited };
  }

  it('delivers every event at least once despite random SIGKILLs', async () => {
    // Each kill lands mid-drain: after a random number of further events reached the receiver.
    // Seeded, as in poll-crash: a failure names kill points that the next run repeats.
    const random = createRandom(24);
    const killedAfter: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const before = receiver.received.length;
      const target = before + 1 + Math.floor(random.next() * 60);
      const { child, exited } = deliver();
      let running = true;
      void exited.then(() => {
        running = false;
      });
      while (running && receiver.received.length < target) await new Promise((done) => setTimeout(done, 2));
      child.kill('SIGKILL');
      await exited;
      killedAfter.push(receiver.received.length - before);
    }
    expect(receiver.received.length).toBeGreaterThan(0);
    expect(new Set(receiver.received.map((r) => r.webhookId)).size).toBeLessThan(EVENTS);
    const ids = new Set(stored.map((s) => s.id));
    const seen = () => new Set(receiver.received.map((r) => r.webhookId).filter((id) => ids.has(id)));
    const undelivered = () => {
      const store = openStore(t.path, { readonly: true });
      try {
        return listDeliveries(store, { limit: EVENTS * 2 }).filter((r) => r.status !== 'delivered');
      } finally {
        store.close();
      }
    };
    // A row whose send a killed process made but never recorded is still open: it is sent again
    // (a duplicate, which at-least-once allows) once its lease (timeout + 5 s) runs out.
    const deadline = Date.now() + 40_000;
    while ((seen().size < ids.size || undelivered().length > 0) && Date.now() < deadline) {
      const { exited } = deliver();
      expect(await exited).toBe(0);
      if (undelivered().length > 0) await new Promise((done) => setTimeout(done, 500));
    }
    expect(seen().size, `killed after ${killedAfter.join(', ')} events`).toBe(ids.size);
    expect(undelivered()).toEqual([]);
  }, 90_000);
});
