import { describe, expect, it } from 'vitest';
import { assessLiveness, assessReadiness, type ReadinessInput } from '../../../src/service/http-server.js';

const T0 = Date.parse('2026-03-03T12:00:00Z');
const MIN = 60_000;
const base: ReadinessInput = {
  nowMs: T0,
  startedAtMs: T0,
  intervalMs: 5 * MIN,
  database: { ok: true },
  lastSuccessAtMs: null,
  pollsFinishedSinceStart: 0,
  stopping: false,
};

describe('assessReadiness', () => {
  it.each<[string, Partial<ReadinessInput>, string]>([
    ['just started, nothing polled ever', {}, 'starting'],
    ['started 9 min ago, first poll still running', { nowMs: T0 + 9 * MIN }, 'starting'],
    [
      'last success 9 min ago',
      { nowMs: T0 + 20 * MIN, lastSuccessAtMs: T0 + 11 * MIN, pollsFinishedSinceStart: 3 },
      'ready',
    ],
    ['old success from before a restart, first poll running', { lastSuccessAtMs: T0 - 60 * MIN }, 'starting'],
    ['fresh success from before a restart', { lastSuccessAtMs: T0 - MIN }, 'ready'],
  ])('%s → 200 %s', (_name, input, status) => {
    const result = assessReadiness({ ...base, ...input });
    expect(result.ok && result.body.status).toBe(status);
  });

  it.each<[string, Partial<ReadinessInput>, RegExp]>([
    ['shutting down', { stopping: true, lastSuccessAtMs: T0 }, /shutting down/],
    [
      'database unusable',
      { database: { ok: false, reason: 'the database is closed' } },
      /database is closed/,
    ],
    [
      'first poll still running after the grace',
      { nowMs: T0 + 10 * MIN },
      /no poll has finished within 600 s/,
    ],
    [
      'every poll failed so far',
      { nowMs: T0 + 10 * MIN, pollsFinishedSinceStart: 2 },
      /no poll has succeeded yet/,
    ],
    [
      'last success exactly twice the interval ago',
      { nowMs: T0 + 30 * MIN, lastSuccessAtMs: T0 + 20 * MIN, pollsFinishedSinceStart: 4 },
      /finished at 2026-03-03T12:20:00.000Z, more than 600 s ago/,
    ],
    [
      'a poll finished (failed) since start and the old success is stale',
      { lastSuccessAtMs: T0 - 60 * MIN, pollsFinishedSinceStart: 1 },
      /more than 600 s ago/,
    ],
  ])('%s → 503', (_name, input, reason) => {
    const result = assessReadiness({ ...base, ...input });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('assessLiveness', () => {
  const poll = (runningMs: number | null, label = 'a poll') => ({ label, runningMs, limitMs: 10 * MIN });

  it('is alive while no poll runs, or every running poll is within its limit', () => {
    expect(assessLiveness({ polls: [poll(null), poll(10 * MIN, 'a policy poll')] })).toEqual({
      ok: true,
      body: { status: 'ok' },
    });
  });

  it('names the first poll that ran past its limit, in seconds', () => {
    expect(assessLiveness({ polls: [poll(MIN), poll(10 * MIN + 1_500, 'a policy poll')] })).toEqual({
      ok: false,
      reason: 'a policy poll has been running for 602 s, past its fetch deadline: the loop is stuck',
    });
  });
});
