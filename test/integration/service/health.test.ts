import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../src/simulator/simulator.js';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const HOUR_MS = 3_600_000;

describe('/healthz and /readyz', () => {
  it('goes starting → ready after a poll → not ready when the last success is too old → ready again', async () => {
    // Every 5 s: a 10 s readiness window; the slow first poll keeps the daemon "starting" for a while.
    fx = await startDaemonFixture({
      latencyMs: 300,
      env: { POLL_SCHEDULE: '*/5 * * * * *', VO_MAX_RETRIES: '0' },
    });
    const f = fx;
    expect(await f.getJson('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const starting = await f.getJson('/readyz');
    expect(starting).toMatchObject({ status: 200, body: { status: 'starting', lastSuccessAt: null } });

    await f.waitFor(
      'the first poll to make it ready',
      async () => (await f.getJson('/readyz')).body.status === 'ready',
    );
    expect(f.runs().map((r) => r.status)).toContain('baseline');
    f.sim.setLatency(0);

    // From now on every poll fails, so only time can make the last success stale.
    f.sim.faults.inject({ match: '/v1/user', kind: 'http500', times: 1_000_000 });
    await f.waitFor(
      'a failed poll',
      async () =>
        (sampleValue((await f.get('/metrics')).text, 'roster_poll_runs_total{status="failed"}') ?? 0) >= 1,
    );
    expect((await f.getJson('/readyz')).status).toBe(200);
    // Only the wall clock moves: moving the monotonic clock an hour while a poll is in flight would
    // (rightly) make that poll look stuck to /healthz, which is not what this step is about.
    f.stepWallClock(HOUR_MS);
    const stale = await f.getJson('/readyz');
    expect(stale.status).toBe(503);
    expect(stale.body.status).toBe('unavailable');
    expect(String(stale.body.reason)).toMatch(/last successful poll finished at .*more than 10 s ago/);
    // Liveness is about the process loop, not about VictorOps.
    expect((await f.getJson('/healthz')).status).toBe(200);

    f.sim.faults.clear();
    await f.waitFor(
      'a successful poll to make it ready again',
      async () => (await f.getJson('/readyz')).status === 200,
    );
    expect((await f.getJson('/readyz')).body.status).toBe('ready');
  });

  it('is not ready when no poll finishes within the start-up grace, and answers 404 elsewhere', async () => {
    // Every response takes a minute: the start-up poll cannot finish during this test.
    fx = await startDaemonFixture({ latencyMs: 60_000, env: { POLL_SCHEDULE: '*/5 * * * * *' } });
    const f = fx;
    await f.waitFor('the start-up poll to reach the API', () => f.sim.stats.count() > 0);
    expect((await f.getJson('/readyz')).body.status).toBe('starting');
    f.advance(11_000);
    const late = await f.getJson('/readyz');
    expect(late.status).toBe(503);
    expect(String(late.body.reason)).toMatch(/no poll has finished within 10 s of start-up/);
    expect((await f.getJson('/healthz')).status).toBe(200);

    expect((await f.get('/nope')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${f.daemon.port}/readyz`, { method: 'POST' });
    expect(post.status).toBe(405);

    const stopped = await f.daemon.stop('test');
    expect(stopped).toEqual({ reason: 'test', forced: false, fatal: false });
    expect(f.runs()).toEqual([]);
  });

  it('reports the liveness failure of a poll stuck past its fetch deadline', async () => {
    fx = await startDaemonFixture({
      latencyMs: 60_000,
      env: { POLL_SCHEDULE: '0 0 1 1 *', VO_FETCH_DEADLINE_MS: '5000' },
    });
    const f = fx;
    await f.waitFor('the start-up poll to reach the API', () => f.sim.stats.count() > 0);
    expect((await f.getJson('/healthz')).status).toBe(200);
    // The clock jumps past deadline + margin while the (real-time) fetch deadline has not fired yet.
    f.advance(HOUR_MS);
    const stuck = await f.getJson('/healthz');
    expect(stuck.status).toBe(503);
    expect(String(stuck.body.reason)).toMatch(/past its fetch deadline/);
  });

  it('reports the liveness failure of a policy poll stuck past its deadline', async () => {
    const sim = await startSimulator({ users: 20, teams: 4 });
    // Every schedule read hangs; the roster poll itself finishes.
    sim.faults.inject({ match: '/oncall/schedule', kind: 'hang', times: 1_000_000 });
    fx = await startDaemonFixture({
      sim,
      env: { POLL_SCHEDULE: '0 0 1 1 *', VO_TIMEOUT_MS: '600000', VO_FETCH_DEADLINE_MS: '600000' },
    });
    const f = fx;
    await f.waitFor('the start-up policy poll to reach a schedule', () =>
      f.sim.stats.entries().some((e) => e.path.includes('/oncall/schedule')),
    );
    expect((await f.getJson('/healthz')).status).toBe(200);
    f.advance(HOUR_MS);
    const stuck = await f.getJson('/healthz');
    expect(stuck.status).toBe(503);
    expect(String(stuck.body.reason)).toMatch(
      /a policy poll has been running for \d+ s, past its fetch deadline/,
    );
  });
});
