import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_TYPES, isChangeEvent } from '../../../src/roster/events.js';
import { startSimulator } from '../../../src/simulator/simulator.js';
import { ENDPOINT_CLASSES } from '../../../src/victorops/endpoint-class.js';
import { aWebhookSecret } from '../../helpers/delivery-fixtures.js';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  receiver = undefined;
});

/** A webhook endpoint that accepts everything. */
async function startReceiver(): Promise<{ url: string; received: () => number }> {
  let received = 0;
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    received: () => received,
  };
}

describe('/metrics', () => {
  it('exposes polls, changes, VictorOps traffic, the outbox and deliveries, and no personal data or secrets', async () => {
    const sim = await startSimulator({ users: 20, teams: 4 });
    const hook = await startReceiver();
    const secret = aWebhookSecret();
    const startedSeconds = Date.now() / 1000;
    fx = await startDaemonFixture({
      sim,
      env: { WEBHOOK_URLS: hook.url, WEBHOOK_SECRET: secret, POLL_SCHEDULE: '*/1 * * * * *' },
    });
    const f = fx;
    const scrape = async () => (await f.get('/metrics')).text;
    await f.waitFor('the baseline', () => f.runs().some((r) => r.status === 'baseline'));
    sim.applyDrift(6);
    await f.waitFor('a poll with changes, delivered', async () => {
      const text = await scrape();
      const changes = EVENT_TYPES.filter(isChangeEvent).reduce(
        (sum, type) => sum + (sampleValue(text, `roster_changes_total{type="${type}"}`) ?? 0),
        0,
      );
      return (
        changes > 0 &&
        (sampleValue(
          text,
          'roster_deliveries_total{destination="webhook-1-127.0.0.1",outcome="delivered"}',
        ) ?? 0) > 0
      );
    });

    const res = await f.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toContain('# TYPE roster_poll_runs_total counter');
    expect(sampleValue(text, 'roster_poll_runs_total{status="baseline"}')).toBe(1);
    expect(sampleValue(text, 'roster_poll_runs_total{status="ok"}')).toBeGreaterThanOrEqual(1);
    for (const status of ['partial', 'failed', 'held']) {
      expect(sampleValue(text, `roster_poll_runs_total{status="${status}"}`), status).toBe(0);
    }
    expect(text).toContain('# TYPE roster_poll_duration_seconds histogram');
    expect(sampleValue(text, 'roster_poll_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sampleValue(text, 'roster_poll_duration_seconds_bucket{le="+Inf"}')).toBe(
      sampleValue(text, 'roster_poll_duration_seconds_count'),
    );
    const lastSuccess = sampleValue(text, 'roster_last_success_timestamp_seconds')!;
    expect(lastSuccess).toBeGreaterThanOrEqual(Math.floor(startedSeconds));
    expect(lastSuccess).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    // The client's own counters, so failed polls' requests count too.
    const requests = sampleValue(text, 'roster_victorops_requests_total')!;
    expect(requests).toBeGreaterThanOrEqual(2 * 2);
    expect(requests).toBeLessThanOrEqual(sim.stats.count());
    expect(sampleValue(text, 'roster_victorops_retries_total')).toBe(0);
    expect(sampleValue(text, 'roster_victorops_rate_limited_total')).toBe(0);
    // Every endpoint class has its shape-error series from the first scrape.
    for (const endpoint of ENDPOINT_CLASSES)
      expect(sampleValue(text, `roster_victorops_shape_errors_total{endpoint="${endpoint}"}`), endpoint).toBe(
        0,
      );
    for (const type of EVENT_TYPES.filter(isChangeEvent)) {
      expect(sampleValue(text, `roster_changes_total{type="${type}"}`), type).toBeGreaterThanOrEqual(0);
    }
    expect(text).not.toMatch(/roster_changes_total\{type="rosterwatch\./);
    expect(sampleValue(text, 'roster_poll_skipped_ticks_total')).toBeGreaterThanOrEqual(0);
    expect(
      sampleValue(text, 'roster_outbox_pending{destination="webhook-1-127.0.0.1"}'),
    ).toBeGreaterThanOrEqual(0);
    expect(
      sampleValue(text, 'roster_deliveries_total{destination="webhook-1-127.0.0.1",outcome="dead"}'),
    ).toBe(0);
    expect(hook.received()).toBeGreaterThan(0);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');

    expect(text).not.toContain('sim-api-key');
    expect(text).not.toContain(secret.slice('whsec_'.length, 20));
    for (const user of sim.org.listUsers()) {
      expect(text).not.toContain(`"${user.username}"`);
      if (user.email) expect(text).not.toContain(user.email);
    }
  });

  it('counts the outbox backlog of a destination that is down', async () => {
    // Port 9 on loopback: connections are refused, so nothing is ever delivered.
    fx = await startDaemonFixture({
      env: {
        WEBHOOK_URLS: 'http://127.0.0.1:9/down',
        WEBHOOK_SECRET: aWebhookSecret(),
        POLL_SCHEDULE: '0 0 1 1 *',
      },
    });
    const f = fx;
    await f.waitFor('the baseline', () => f.runs().some((r) => r.status === 'baseline'));
    await f.waitFor(
      'a failed delivery',
      async () =>
        (sampleValue(
          (await f.get('/metrics')).text,
          'roster_deliveries_total{destination="webhook-1-127.0.0.1",outcome="failed"}',
        ) ?? 0) >= 1,
    );
    const text = (await f.get('/metrics')).text;
    expect(
      sampleValue(text, 'roster_outbox_pending{destination="webhook-1-127.0.0.1"}'),
    ).toBeGreaterThanOrEqual(1);
  });
});
