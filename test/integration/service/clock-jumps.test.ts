/**
 * Wall-clock steps (an NTP correction, a VM restored from a snapshot, a bad RTC): recorded time
 * never goes backwards, and durations and liveness use the monotonic clock.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../../src/clock.js';
import { type Simulator, startSimulator } from '../../../src/simulator/simulator.js';
import { createCapturingLogger } from '../../helpers/capture-logger.js';
import { tempDatabase } from '../../helpers/cli.js';
import { simConfig, withApp } from '../../helpers/sim-app.js';
import { type DaemonFixture, startDaemonFixture } from './daemon-fixture.js';

const HOUR_MS = 3_600_000;
let sim: Simulator | undefined;
let fx: DaemonFixture | undefined;
afterEach(async () => {
  await sim?.close();
  await fx?.cleanup();
  sim = undefined;
  fx = undefined;
});

describe('a wall clock that steps back', () => {
  it('never records history before the last run: the run takes the last run time, with a warning', async () => {
    sim = await startSimulator({ users: 10, teams: 3, seed: 4 });
    const path = tempDatabase();
    let stepMs = 0;
    // The wall clock steps; the monotonic one (pacing, durations) does not.
    const clock: Clock = {
      now: () => Date.now() + stepMs,
      monotonicMs: () => performance.now(),
      sleep: systemClock.sleep,
    };
    const capture = createCapturingLogger();
    const config = simConfig(sim, path, { MEMBERSHIP_SOURCE: 'team', REMOVAL_GUARD_MIN: '100' });
    // One App for both polls, as the daemon polls: the step happens between two of its polls.
    await withApp(
      config,
      async (app) => {
        const signal = new AbortController().signal;
        await app.pollRoster(signal);
        sim!.org.addUser({ username: 'late.joiner', firstName: 'Late', lastName: 'Joiner' });
        stepMs = -HOUR_MS;
        await app.pollRoster(signal);
      },
      { clock, logger: capture.logger },
    );

    const conn = new Database(path, { readonly: true });
    const runs = conn.prepare('SELECT started_at AS s, finished_at AS f FROM runs ORDER BY id').all() as {
      s: string;
      f: string;
    }[];
    conn.close();
    expect(runs).toHaveLength(2);
    expect(runs[1]!.s > runs[0]!.f).toBe(true);
    expect(runs[1]!.f >= runs[1]!.s).toBe(true);
    // The roster as it was at the first run does not contain the user who joined later.
    const [atFirst, atSecond] = await withApp(config, (app) => [
      app.rosterAt(runs[0]!.f),
      app.rosterAt(runs[1]!.f),
    ]);
    expect(atFirst!.users.some((u) => u.username === 'late.joiner')).toBe(false);
    expect(atSecond!.users.some((u) => u.username === 'late.joiner')).toBe(true);
    const warning = capture.lines().find((l) => l.includes('wall clock is behind'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!).level).toBe(40);
  });
});

describe('a wall clock that jumps ahead during a poll', () => {
  it('does not make /healthz report a stuck poll: liveness measures with the monotonic clock', async () => {
    fx = await startDaemonFixture({
      env: { POLL_SCHEDULE: '0 0 1 1 *', POLICY_SCHEDULE: 'off', POLL_ON_START: 'false' },
    });
    const f = fx;
    // A poll is in flight (the user list never answers); the wall clock jumps a day.
    f.sim.faults.inject({ match: '/v1/user', kind: 'hang', times: 1_000_000 });
    void f.tick();
    await f.sim.stats.arrived({ path: '/v1/user' });
    f.stepWallClock(24 * HOUR_MS);
    const probe = await f.getJson('/healthz');
    expect(probe, JSON.stringify(probe.body)).toEqual({ status: 200, body: { status: 'ok' } });
    // Time that really passes still counts: the same poll an hour later (monotonic) is stuck.
    await f.advance(HOUR_MS);
    expect((await f.getJson('/healthz')).status).toBe(503);
  });
});
