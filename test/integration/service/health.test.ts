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
    // Every 5 s: a 10 s readiness window.
    fx = await startDaemonFixture({
      env: { POLL_SCHEDULE: '*/5 * * * * *', VO_MAX_RETRIES: '0', POLL_ON_START: 'false' },
    });
    const f = fx;
    expect(await f.getJson('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    const starting = await f.getJson('/readyz');
    expect(starting).toMatchObject({ status: 200, body: { status: 'starting', lastSuccessAt: null } });

    expect(await f.tick()).toBe('ran');
    expect(f.runs().map((r) => r.status)).toEqual(['baseline']);
    expect(await f.getJson('/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });

    // From now on every poll fails, so only time can make the last success stale.
    f.sim.faults.inject({ match: '/v1/user', kind: 'http500', times: 1_000_000 });
    expect(await f.tick()).toBe('ran');
    expect(sampleValue((await f.get('/metrics')).text, 'roster_poll_runs_total{status="failed"}')).toBe(1);
    expect((await f.getJson('/readyz')).status).toBe(200);
    await f.advance(11_000);
    const stale = await f.getJson('/readyz');
    expect(stale.status).toBe(503);
    expect(stale.body.status).toBe('unavailable');
    expect(String(stale.body.reason)).toMatch(/last successful poll finished at .*more than 10 s ago/);
    // Liveness is about the process loop, not about VictorOps.
    expect((await f.getJson('/healthz')).status).toBe(200);

    f.sim.faults.clear();
    expect(await f.tick()).toBe('ran');
    expect(await f.getJson('/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('is not ready when no poll finishes within the start-up grace, and answers 404 elsewhere', async () => {
    fx = await startDaemonFixture({ env: { POLL_SCHEDULE: '*/5 * * * * *', POLL_ON_START: 'false' } });
    const f = fx;
    // The user list never answers: the poll this tick starts cannot finish during this test.
    f.sim.faults.inject({ match: '/v1/user', kind: 'hang', times: 1_000_000 });
    const poll = f.tick();
    await f.sim.stats.arrived({ path: '/v1/user' });
    expect((await f.getJson('/readyz')).body.status).toBe('starting');
    await f.advance(11_000);
    const late = await f.getJson('/readyz');
    expect(late.status).toBe(503);
    expect(String(late.body.reason)).toMatch(/no poll has finished within 10 s of start-up/);
    expect((await f.getJson('/healthz')).status).toBe(200);

    expect((await f.get('/nope')).status).toBe(404);
    const post = await fetch(`http://127.0.0.1:${f.daemon.port}/readyz`, { method: 'POST' });
    expect(post.status).toBe(405);

    const stopped = await f.daemon.stop('test');
    expect(stopped).toEqual({ reason: 'test', forced: false, fatal: false });
    expect(await poll).toBe('ran');
    expect(f.runs()).toEqual([]);
  });

  it('reports the liveness failure of a poll stuck past its fetch deadline', async () => {
    // The deadline is on real time and ten minutes long, so it cannot end the poll during the
    // test however slow the machine; the fake clock jumps past deadline + margin instead.
    fx = await startDaemonFixture({
      env: { POLL_SCHEDULE: '0 0 1 1 *', VO_FETCH_DEADLINE_MS: '600000', POLL_ON_START: 'false' },
    });
    const f = fx;
    f.sim.faults.inject({ match: '/v1/user', kind: 'hang', times: 1_000_000 });
    void f.tick();
    await f.sim.stats.arrived({ path: '/v1/user' });
    expect((await f.getJson('/healthz')).status).toBe(200);
    await f.advance(600_000 + 60_000 - 1);
    expect((await f.getJson('/healthz')).status).toBe(200);
    await f.advance(2);
    const stuck = await f.getJson('/healthz');
    expect(stuck.status).toBe(503);
    expect(String(stuck.body.reason)).toMatch(/a poll has been running for 660 s, past its fetch deadline/);
  });

  it('reports the liveness failure of a policy poll stuck past its deadline', async () => {
    const sim = await startSimulator({ users: 20, teams: 4 });
    // Every schedule read hangs; the roster poll itself finishes.
    sim.faults.inject({ match: '/oncall/schedule', kind: 'hang', times: 1_000_000 });
    fx = await startDaemonFixture({
      sim,
      env: {
        POLL_SCHEDULE: '0 0 1 1 *',
        VO_TIMEOUT_MS: '600000',
        VO_FETCH_DEADLINE_MS: '600000',
        POLL_ON_START: 'false',
      },
    });
    const f = fx;
    expect(await f.tick('roster')).toBe('ran');
    void f.tick('policy');
    await f.sim.stats.arrived({ path: '/oncall/schedule' });
    expect((await f.getJson('/healthz')).status).toBe(200);
    await f.advance(HOUR_MS);
    const stuck = await f.getJson('/healthz');
    expect(stuck.status).toBe(503);
    expect(String(stuck.body.reason)).toMatch(
      /a policy poll has been running for \d+ s, past its fetch deadline/,
    );
  });
});
