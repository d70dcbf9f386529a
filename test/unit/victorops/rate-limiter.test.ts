import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { createRateLimiter, waitBeforeStart, windowFor } from '../../../src/victorops/rate-limiter.js';

/** A clock that only moves when someone sleeps on it. */
function fakeClock(): Clock {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  };
}

describe('windowFor', () => {
  it.each([
    [2, 2, 1035],
    [100, 100, 1035],
    [0.5, 1, 2055],
    [2.5, 2, 1035],
    [4.5, 4, 1035],
  ])('%f req/s → %i per %i ms', (rps, capacity, windowMs) => {
    const shape = windowFor(rps);
    expect(shape.capacity).toBe(capacity);
    expect(Math.round(shape.windowMs)).toBe(windowMs);
  });
});

describe('windowFor under a key limit', () => {
  it('paces 1.8 req/s under a limit of 2 as 2 per 1.15 s (1.74/s), not 1 per second', () => {
    const shape = windowFor(1.8, 2);
    expect(shape.capacity).toBe(2);
    expect(Math.round(shape.windowMs)).toBe(1148);
    // a rate at or above the burst keeps the old shape
    expect(windowFor(2.5, 2)).toEqual(windowFor(2.5));
  });
});

describe('waitBeforeStart', () => {
  const shape = { capacity: 2, windowMs: 1000 };
  it.each([
    [[], 0, 0],
    [[0], 10, 0],
    [[0, 10], 20, 980],
    [[0, 10], 1000, 0],
    [[0, 500, 600], 700, 800],
  ])('starts %j at %i → wait %i', (starts, now, wait) => {
    expect(waitBeforeStart(starts, now, shape)).toBe(wait);
  });
});

describe('createRateLimiter', () => {
  it('never lets more than the rate start in any one-second window', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 300 }),
        async (rps, requests) => {
          const clock = fakeClock();
          const limiter = createRateLimiter({ maxRps: rps, clock });
          const times: number[] = [];
          for (let i = 0; i < requests; i++) {
            await limiter.acquire();
            times.push(clock.now());
          }
          for (let i = 0; i < times.length; i++) {
            const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
            expect(inWindow).toBeLessThanOrEqual(Math.max(1, Math.floor(rps)));
          }
          // and it is not needlessly slow: within 3% (+ one window) of the ideal
          const ideal = ((requests - 1) / Math.max(1, Math.floor(rps)) / Math.min(1, rps)) * 1000;
          expect(times.at(-1)!).toBeLessThanOrEqual(ideal * 1.04 + 1040);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('halves its rate when limited and recovers slowly', () => {
    const limiter = createRateLimiter({ maxRps: 10, clock: fakeClock() });
    limiter.onRateLimited();
    expect(limiter.effectiveRps()).toBe(5);
    limiter.onRateLimited();
    limiter.onRateLimited();
    limiter.onRateLimited();
    expect(limiter.effectiveRps()).toBe(1); // floor: 10% of the configured rate
    for (let i = 0; i < 10; i++) limiter.onSuccess();
    expect(limiter.effectiveRps()).toBeCloseTo(3);
    for (let i = 0; i < 100; i++) limiter.onSuccess();
    expect(limiter.effectiveRps()).toBe(10);
  });
});

describe('a wall clock stepped back', () => {
  it('does not hold requests back: the window is measured on the monotonic clock', async () => {
    let wall = 10_000_000;
    let mono = 0;
    const slept: number[] = [];
    const clock: Clock = {
      now: () => wall,
      monotonicMs: () => mono,
      sleep: async (ms) => {
        slept.push(ms);
        wall += ms;
        mono += ms;
      },
    };
    const limiter = createRateLimiter({ maxRps: 2, clock });
    await limiter.acquire();
    await limiter.acquire();
    wall -= 3_600_000; // NTP steps the wall clock back an hour; a second really passes
    wall += 1_100;
    mono += 1_100;
    await limiter.acquire();
    expect(slept).toEqual([]);
  });
});
