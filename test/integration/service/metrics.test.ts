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

const HOOK = 'webhook-1-127.0.0.1';

describe('/metrics', () => {
  it('exposes polls, changes, VictorOps traffic, the outbox and deliveries, and no personal data or secrets', async () => {
    const sim = await startSimulator({ users: 20, teams: 4 });
    const hook = await startReceiver();
    const secret = aWebhookSecret();
    // Policies off: every request, event and delivery here comes from the two roster polls.
    fx = await startDaemonFixture({
      sim,
      env: { WEBHOOK_URLS: hook.url, WEBHOOK_SECRET: secret, POLL_ON_START: 'false', POLICY_SCHEDULE: 'off' },
    });
    const f = fx;
    const rowsFor = (status: string) =>
      Number(
        f.queryValue('SELECT COUNT(*) FROM deliveries WHERE destination = ? AND status = ?', HOOK, status),
      );
    const allRows = () => Number(f.queryValue('SELECT COUNT(*) FROM deliveries WHERE destination = ?', HOOK));
    const delivered = (destination: string, outcome: string) =>
      destination === HOOK && outcome === 'delivered';

    expect(await f.tick()).toBe('ran');
    expect(f.runs().map((r) => r.status)).toEqual(['baseline']);
    await f.deliveries(allRows(), delivered);
    sim.applyDrift(6);
    // A tick while that poll runs is skipped (and counted), never queued.
    const drifted = f.tick();
    expect(await f.tick()).toBe('skipped');
    expect(await drifted).toBe('ran');
    await f.deliveries(allRows(), delivered);

    const res = await f.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toContain('# TYPE roster_poll_runs_total counter');
    expect(sampleValue(text, 'roster_poll_runs_total{status="baseline"}')).toBe(1);
    expect(sampleValue(text, 'roster_poll_runs_total{status="ok"}')).toBe(1);
    for (const status of ['partial', 'failed', 'held']) {
      expect(sampleValue(text, `roster_poll_runs_total{status="${status}"}`), status).toBe(0);
    }
    expect(text).toContain('# TYPE roster_poll_duration_seconds histogram');
    expect(sampleValue(text, 'roster_poll_duration_seconds_count')).toBe(2);
    expect(sampleValue(text, 'roster_poll_duration_seconds_bucket{le="+Inf"}')).toBe(2);
    // The fake clock did not move: the last success is the instant the second poll finished.
    expect(sampleValue(text, 'roster_last_success_timestamp_seconds')).toBe(f.clock.now() / 1000);
    // The client's own counters, so failed polls' requests count too; here every request the
    // simulator saw was the daemon's.
    expect(sampleValue(text, 'roster_victorops_requests_total')).toBe(sim.stats.count());
    expect(sampleValue(text, 'roster_victorops_retries_total')).toBe(0);
    expect(sampleValue(text, 'roster_victorops_rate_limited_total')).toBe(0);
    // Every endpoint class has its shape-error series from the first scrape.
    for (const endpoint of ENDPOINT_CLASSES)
      expect(sampleValue(text, `roster_victorops_shape_errors_total{endpoint="${endpoint}"}`), endpoint).toBe(
        0,
      );
    // Each change type counts exactly the events of that type the drifted poll stored.
    let changes = 0;
    for (const type of EVENT_TYPES.filter(isChangeEvent)) {
      const stored = Number(
        f.queryValue('SELECT COUNT(*) FROM events WHERE type = ? AND run_id = ?', type, f.runs()[1]!.id),
      );
      expect(sampleValue(text, `roster_changes_total{type="${type}"}`), type).toBe(stored);
      changes += stored;
    }
    expect(changes).toBeGreaterThan(0);
    expect(text).not.toMatch(/roster_changes_total\{type="rosterwatch\./);
    expect(sampleValue(text, 'roster_poll_skipped_ticks_total')).toBe(1);
    // Everything planned was delivered: the gauge and the counters match the rows.
    expect(rowsFor('pending') + rowsFor('failed')).toBe(0);
    expect(sampleValue(text, `roster_outbox_pending{destination="${HOOK}"}`)).toBe(0);
    expect(sampleValue(text, `roster_deliveries_total{destination="${HOOK}",outcome="delivered"}`)).toBe(
      rowsFor('delivered'),
    );
    expect(sampleValue(text, `roster_deliveries_total{destination="${HOOK}",outcome="dead"}`)).toBe(0);
    expect(hook.received()).toBe(rowsFor('delivered'));
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
        POLL_ON_START: 'false',
        POLICY_SCHEDULE: 'off',
      },
    });
    const f = fx;
    const failedOnce = f.deliveries(
      1,
      (destination, outcome) => destination === HOOK && outcome === 'failed',
    );
    expect(await f.tick()).toBe('ran');
    expect(f.runs().map((r) => r.status)).toEqual(['baseline']);
    await failedOnce;
    const open = Number(
      f.queryValue(
        `SELECT COUNT(*) FROM deliveries WHERE destination = ? AND status IN ('pending', 'failed')`,
        HOOK,
      ),
    );
    // A baseline is one event (rosterwatch.baseline), so one row, tried once: its retry waits on the
    // fake clock, which does not move here.
    expect(open).toBe(1);
    const text = (await f.get('/metrics')).text;
    expect(sampleValue(text, `roster_outbox_pending{destination="${HOOK}"}`)).toBe(open);
    expect(sampleValue(text, `roster_deliveries_total{destination="${HOOK}",outcome="failed"}`)).toBe(1);
    expect(sampleValue(text, `roster_deliveries_total{destination="${HOOK}",outcome="delivered"}`)).toBe(0);
  });
});
