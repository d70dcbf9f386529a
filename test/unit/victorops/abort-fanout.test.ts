import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { createAbortFanout } from '../../../src/victorops/abort-fanout.js';
import { createLocalSlots, createRateBudget } from '../../../src/victorops/rate-budget.js';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

/** Node's warnings while `work` runs and a tick after (they are emitted on the next tick). */
async function warningsDuring(work: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error) => seen.push(warning.name);
  process.on('warning', onWarning);
  try {
    await work();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createAbortFanout', () => {
  it('listens to a signal once however many waits follow it, and not at all once they end', () => {
    const fanout = createAbortFanout();
    const signal = new AbortController().signal;
    const stops = Array.from({ length: 25 }, () => fanout.follow(signal, () => {}));
    expect(listeners(signal)).toBe(1);
    for (const stop of stops) stop();
    expect(listeners(signal)).toBe(0);
    // Following it again after every wait ended listens again.
    const stop = fanout.follow(signal, () => {});
    expect(listeners(signal)).toBe(1);
    stop();
  });

  it('calls each pending wait once when the signal aborts, and none that stopped', () => {
    const fanout = createAbortFanout();
    const controller = new AbortController();
    const called: number[] = [];
    const stops = [0, 1, 2, 3].map((i) => fanout.follow(controller.signal, () => called.push(i)));
    stops[1]?.();
    const onSame = () => called.push(9);
    fanout.follow(controller.signal, onSame);
    fanout.follow(controller.signal, onSame);
    controller.abort();
    controller.abort();
    expect(called).toEqual([0, 2, 3, 9, 9]);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('calls a wait on a signal that has already aborted at once, and listens to nothing', () => {
    const fanout = createAbortFanout();
    const controller = new AbortController();
    controller.abort();
    const called: string[] = [];
    fanout.follow(controller.signal, () => called.push('late'));
    expect(called).toEqual(['late']);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('calls every wait though one throws, and throws its error after them', () => {
    const fanout = createAbortFanout();
    const controller = new AbortController();
    const called: number[] = [];
    const later: (() => void)[] = [];
    vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => later.push(task));
    fanout.follow(controller.signal, () => {
      called.push(0);
      throw new Error('first wait failed');
    });
    fanout.follow(controller.signal, () => called.push(1));
    controller.abort();
    expect(called).toEqual([0, 1]);
    expect(later).toHaveLength(1);
    expect(() => later[0]?.()).toThrow('first wait failed');
  });

  it('keeps the waits of two signals apart', () => {
    const fanout = createAbortFanout();
    const a = new AbortController();
    const b = new AbortController();
    const called: string[] = [];
    fanout.follow(a.signal, () => called.push('a'));
    fanout.follow(b.signal, () => called.push('b'));
    a.abort();
    expect(called).toEqual(['a']);
    expect(listeners(b.signal)).toBe(1);
  });
});

describe('the rate budget with many requests waiting on one signal', () => {
  /** A clock whose sleeps never end by themselves: every request after the first keeps waiting. */
  const stuckClock = (): Clock => ({ now: () => 1_000_000, sleep: () => new Promise(() => {}) });

  it('adds one abort listener to the caller signal, warns of no leak, and rejects every waiter on abort', async () => {
    const budget = createRateBudget({
      maxRps: 2,
      pace: 0.8,
      backgroundShare: 0.25,
      clock: stuckClock(),
      shared: createLocalSlots(),
    });
    const controller = new AbortController();
    let outcomes: PromiseSettledResult<void>[] = [];
    const warnings = await warningsDuring(async () => {
      const asks = Array.from({ length: 30 }, () => budget.acquire('roster', controller.signal));
      await new Promise((resolve) => setImmediate(resolve));
      // Each waiting request listened on its own before: 30 listeners, past Node's 10.
      expect(listeners(controller.signal)).toBeLessThanOrEqual(1);
      controller.abort(new Error('stopped'));
      outcomes = await Promise.allSettled(asks);
    });
    expect(warnings).not.toContain('MaxListenersExceededWarning');
    // The stuck clock grants the first turn or two; every request still waiting is rejected.
    expect(outcomes.filter((o) => o.status === 'rejected').length).toBeGreaterThanOrEqual(25);
    expect(listeners(controller.signal)).toBe(0);
  });
});
