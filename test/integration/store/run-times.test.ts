/**
 * Issue 20 item 10: run times stay monotonic per kind, and "the wall clock is behind" is said only
 * when the clock really stepped back, not when a roster poll and a policy poll overlapped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { inTransaction } from '../../../src/store/db.js';
import { insertRun, keepRunTimesMonotonic } from '../../../src/store/runs.js';
import { createTempStore, type TempStore } from '../../helpers/delivery-fixtures.js';

let t: TempStore | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

function recordRun(kind: 'roster' | 'policy', startedAt: string, finishedAt: string): void {
  const store = (t as TempStore).store;
  inTransaction(store, () =>
    insertRun(store, {
      kind,
      startedAt,
      finishedAt,
      status: 'ok',
      strategy: null,
      stats: { requests: 1, retries: 0, rateLimited: 0 },
      counts: null,
      failedScopes: [],
      changeCount: 0,
      error: null,
      rosterHash: null,
      ...(kind === 'policy' ? { policyCount: 0 } : {}),
    }),
  );
}

describe('run times', () => {
  it('a roster poll that overlapped a policy poll keeps its own times, with no clock warning', () => {
    t = createTempStore();
    recordRun('roster', '2026-03-01T10:00:00.000Z', '2026-03-01T10:01:00.000Z');
    // The policy poll started and finished while the next roster poll was still reading.
    recordRun('policy', '2026-03-01T10:05:10.000Z', '2026-03-01T10:05:20.000Z');
    const times = { startedAt: '2026-03-01T10:05:00.000Z', finishedAt: '2026-03-01T10:06:00.000Z' };
    expect(keepRunTimesMonotonic(t.store, 'roster', times)).toEqual({ ...times, clockWasBehind: null });
  });

  it('a clock that stepped back is reported and the run moves past the last of its kind', () => {
    t = createTempStore();
    recordRun('roster', '2026-03-01T10:00:00.000Z', '2026-03-01T10:01:00.000Z');
    const times = { startedAt: '2026-03-01T09:00:00.000Z', finishedAt: '2026-03-01T09:01:00.000Z' };
    expect(keepRunTimesMonotonic(t.store, 'roster', times)).toEqual({
      startedAt: '2026-03-01T10:01:00.001Z',
      finishedAt: '2026-03-01T10:01:00.001Z',
      clockWasBehind: '2026-03-01T10:01:00.000Z',
    });
    // Behind a run of another kind too: the clock read an earlier time than one already recorded.
    recordRun('policy', '2026-03-01T11:00:00.000Z', '2026-03-01T11:00:05.000Z');
    const later = { startedAt: '2026-03-01T10:30:00.000Z', finishedAt: '2026-03-01T10:31:00.000Z' };
    expect(keepRunTimesMonotonic(t.store, 'roster', later)).toEqual({
      ...later,
      clockWasBehind: '2026-03-01T11:00:05.000Z',
    });
  });

  it('a run that finished reading before another process recorded its run is no clock step', () => {
    t = createTempStore();
    // The daemon's roster poll finished at 10:00:08 and was recorded first; a one-shot `poll`
    // finished reading at 10:00:07 but waited for the write lock until 10:00:09.
    recordRun('roster', '2026-03-01T10:00:02.000Z', '2026-03-01T10:00:08.000Z');
    const times = { startedAt: '2026-03-01T10:00:01.000Z', finishedAt: '2026-03-01T10:00:07.000Z' };
    expect(
      keepRunTimesMonotonic(t.store, 'roster', times, '2026-03-01T10:00:09.000Z').clockWasBehind,
    ).toBeNull();
    // read at recording time, a clock that stepped back is still told
    expect(keepRunTimesMonotonic(t.store, 'roster', times, '2026-03-01T10:00:07.500Z').clockWasBehind).toBe(
      '2026-03-01T10:00:08.000Z',
    );
  });
});
