import { describe, expect, it } from 'vitest';
import {
  type DaemonReadinessSnapshot,
  judgeDaemonLiveness,
  judgeDaemonReadiness,
} from '../../../src/service/daemon-probes.js';

const T0 = Date.parse('2026-03-03T12:00:00Z');
const MIN = 60_000;
const base: DaemonReadinessSnapshot = {
  nowMs: T0 + 20 * MIN,
  startedAtMs: T0,
  intervalMs: 5 * MIN,
  file: { ok: true },
  lastSuccess: { ok: true, atMs: T0 + 18 * MIN },
  pollsFinishedSinceStart: 4,
  stopping: false,
};

describe('judgeDaemonReadiness', () => {
  it('is ready with the file ours and a fresh success', () => {
    expect(judgeDaemonReadiness(base)).toEqual({
      ok: true,
      body: { status: 'ready', lastSuccessAt: new Date(T0 + 18 * MIN).toISOString() },
    });
  });

  it('names a replaced database file, even while stopping (the stop it starts)', () => {
    const file = { ok: false as const, reason: 'the database file was replaced' };
    expect(judgeDaemonReadiness({ ...base, file, stopping: true })).toEqual(file);
  });

  it('with the connection closed (file null), judges the rest: stopping first', () => {
    const closed = { ok: false as const, reason: 'the database is closed' };
    expect(judgeDaemonReadiness({ ...base, file: null, lastSuccess: closed, stopping: true })).toEqual({
      ok: false,
      reason: 'the service is shutting down',
    });
    expect(judgeDaemonReadiness({ ...base, file: null, lastSuccess: closed })).toEqual(closed);
  });

  it('passes a database that cannot tell its last success on as the reason', () => {
    const unreadable = { ok: false as const, reason: 'the database cannot be read: disk I/O error' };
    expect(judgeDaemonReadiness({ ...base, lastSuccess: unreadable })).toEqual(unreadable);
  });

  it('is starting before the first poll finishes, and stale after two intervals with polls done', () => {
    const never = { ok: true as const, atMs: null };
    const starting = judgeDaemonReadiness({
      ...base,
      nowMs: T0 + MIN,
      lastSuccess: never,
      pollsFinishedSinceStart: 0,
    });
    expect(starting.ok && starting.body.status).toBe('starting');
    const stale = judgeDaemonReadiness({ ...base, lastSuccess: { ok: true, atMs: T0 + 5 * MIN } });
    expect(stale.ok).toBe(false);
  });
});

describe('judgeDaemonLiveness', () => {
  const job = { label: 'the roster poll', stuckAfterMs: 10 * MIN };

  it('is alive with no poll running, or one within its limit', () => {
    expect(judgeDaemonLiveness([{ ...job, pollStartedAtMs: null }], 1_000_000)).toEqual({
      ok: true,
      body: { status: 'ok' },
    });
    expect(judgeDaemonLiveness([{ ...job, pollStartedAtMs: 1_000_000 - 10 * MIN }], 1_000_000).ok).toBe(true);
  });

  it('measures the running time on the monotonic clock it is given and names the stuck job', () => {
    const result = judgeDaemonLiveness(
      [
        { ...job, pollStartedAtMs: null },
        { label: 'the policy poll', stuckAfterMs: MIN, pollStartedAtMs: 5_000 },
      ],
      5_000 + 2 * MIN,
    );
    expect(result).toEqual({
      ok: false,
      reason: 'the policy poll has been running for 120 s, past its fetch deadline: the loop is stuck',
    });
  });
});
