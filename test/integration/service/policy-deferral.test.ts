import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '../../../src/simulator/simulator.js';
import { type DaemonFixture, sampleValue, startDaemonFixture } from './daemon-fixture.js';

let fx: DaemonFixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

const isPolicyPath = (path: string) =>
  path.includes('/v1/policies') || path.includes('/oncall/schedule') || path.includes('/v1/org/routing-keys');

describe('policy polls beside roster polls in the daemon', () => {
  it('defers a policy tick that comes while a policy poll runs, and counts each job’s requests as its own', async () => {
    const sim = await startSimulator({ users: 20, teams: 4 });
    sim.setPolicyListLimit(0);
    fx = await startDaemonFixture({
      sim,
      env: {
        POLL_SCHEDULE: '0 0 1 1 *',
        POLL_ON_START: 'false',
        POLICY_LIST_MIN_INTERVAL_MS: '0',
        // The one hung schedule read ends after a second of real time, then is retried.
        VO_TIMEOUT_MS: '1000',
      },
    });
    const f = fx;
    expect(await f.tick('roster')).toBe('ran');
    sim.faults.inject({ match: '/oncall/schedule', kind: 'hang', times: 1 });
    const first = f.tick('policy');
    await sim.stats.arrived({ path: '/oncall/schedule' });
    const second = f.tick('policy');
    expect(await f.tick('policy')).toBe('skipped');

    // A roster poll runs while the policy poll is still in flight.
    const before = sim.stats.entries().length;
    expect(await f.tick('roster')).toBe('ran');
    const rosterSeen = sim.stats
      .entries()
      .slice(before)
      .filter((e) => !isPolicyPath(e.path)).length;
    expect(await f.clock.runUntilSettled(Promise.all([first, second]))).toEqual(['ran', 'ran']);

    const runs = f.runs();
    expect(runs.map((r) => r.kind)).toEqual(['roster', 'roster', 'policy', 'policy']);
    const requestsOf = (id: number) => Number(f.queryValue('SELECT requests FROM runs WHERE id = ?', id));
    // Each run counts its own requests only, as the server saw them, retries included.
    expect(requestsOf(runs[1]!.id)).toBe(rosterSeen);
    const policySeen = sim.stats.entries().filter((e) => isPolicyPath(e.path)).length;
    expect(requestsOf(runs[2]!.id) + requestsOf(runs[3]!.id)).toBe(policySeen);
    expect(requestsOf(runs[0]!.id) + requestsOf(runs[1]!.id)).toBe(sim.stats.entries().length - policySeen);

    const metrics = (await f.get('/metrics')).text;
    expect(sampleValue(metrics, 'roster_policy_poll_ticks_total{outcome="deferred"}')).toBe(1);
    expect(sampleValue(metrics, 'roster_policy_poll_ticks_total{outcome="skipped"}')).toBe(1);
    expect(sampleValue(metrics, 'roster_poll_skipped_ticks_total')).toBe(0);
    expect(sampleValue(metrics, 'roster_victorops_job_requests_total{job="policy"}')).toBe(policySeen);
    expect(sampleValue(metrics, 'roster_victorops_job_requests_total{job="roster"}')).toBe(
      sim.stats.entries().length - policySeen,
    );
    expect(sampleValue(metrics, 'roster_victorops_job_requests_total{job="other"}')).toBe(0);
    expect(sampleValue(metrics, 'roster_policy_poll_duration_seconds_count')).toBe(2);
    expect(f.logLines().some((l) => l.includes('this tick runs as soon as it ends'))).toBe(true);
  });
});
