import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { aWebhookSecret } from '../../helpers/delivery-fixtures.js';
import { type DaemonFixture, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
let receiver: Server | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
  receiver?.closeAllConnections();
  await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  receiver = undefined;
});

describe('daemon shutdown', () => {
  it('aborts a poll in flight without recording anything, and closes the server and the database', async () => {
    fx = await startDaemonFixture({ env: { POLL_ON_START: 'false' } });
    const f = fx;
    // The user list never answers: the poll is in flight until the stop aborts it.
    f.sim.faults.inject({ match: '/v1/user', kind: 'hang', times: 1_000_000 });
    const poll = f.tick();
    await f.sim.stats.arrived({ path: '/v1/user' });
    const result = await f.daemon.stop('test');
    // `forced: false` is the outcome that says the stop finished inside the shutdown budget (the
    // daemon reports forced: true when the budget runs out), so no wall-clock bound is needed.
    expect(result).toEqual({ reason: 'test', forced: false, fatal: false });
    expect(await f.daemon.done).toEqual(result);
    expect(await poll).toBe('ran');
    expect(f.runs()).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${f.daemon.port}/healthz`)).rejects.toThrow();
    // A second stop is the same stop.
    expect(await f.daemon.stop('again')).toEqual(result);
  });

  it('lets a delivery in flight finish and records it before closing the database', async () => {
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const firstArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    let count = 0;
    receiver = createServer((req, res) => {
      req.resume();
      count += 1;
      // Hold the first answer until the test has asked the daemon to stop.
      const answer = () => res.writeHead(204).end();
      if (count === 1) {
        release = answer;
        arrived();
      } else answer();
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    fx = await startDaemonFixture({
      // POLICY_SCHEDULE=off: only the roster poll's events should be in the outbox here.
      env: {
        WEBHOOK_URLS: url,
        WEBHOOK_SECRET: aWebhookSecret(),
        POLL_ON_START: 'false',
        POLICY_SCHEDULE: 'off',
      },
    });
    const f = fx;
    expect(await f.tick()).toBe('ran');
    await firstArrived;
    const stopping = f.daemon.stop('test');
    // One turn of the event loop: the shutdown has reached the dispatcher's stop (everything
    // before it settles in microtasks) when the held answer goes out.
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await stopping).toEqual({ reason: 'test', forced: false, fatal: false });

    const conn = new Database(f.databasePath, { readonly: true });
    try {
      const rows = conn.prepare('SELECT status FROM deliveries').all() as { status: string }[];
      expect(rows).toEqual([{ status: 'delivered' }]);
    } finally {
      conn.close();
    }
  });
});
