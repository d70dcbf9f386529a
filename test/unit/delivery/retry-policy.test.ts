import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../../../src/config/delivery.js';
import { decideRetry } from '../../../src/delivery/retry-policy.js';
import { parseDurationList } from '../../../src/parse/duration.js';
import { parseRetryAfter } from '../../../src/parse/retry-after.js';

const schedule = parseDurationList(DEFAULT_RETRY_SCHEDULE) as number[];

describe('parseDurationList', () => {
  it('parses the Standard Webhooks schedule', () => {
    expect(schedule).toEqual([
      0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000,
    ]);
  });
  it.each([
    ['0ms,50ms,1.5s', [0, 50, 1_500]],
    ['1d', [86_400_000]],
    [' 5s , 5m ', [5_000, 300_000]],
  ] as const)('%s', (text, expected) => expect(parseDurationList(text)).toEqual(expected));
  it.each(['', '5', '5x', '5s,,5m', '-1s'])('rejects %j with a problem text', (text) => {
    expect(typeof parseDurationList(text)).toBe('string');
  });
});

describe('decideRetry', () => {
  it.each([
    // attempts so far, random, retryAfterMs, expected
    [1, 0.5, undefined, { retry: true, delayMs: 5_000 }],
    [1, 0, undefined, { retry: true, delayMs: 4_000 }],
    [1, 0.999_999, undefined, { retry: true, delayMs: 6_000 }],
    [2, 0.5, undefined, { retry: true, delayMs: 300_000 }],
    [9, 0.5, undefined, { retry: true, delayMs: 86_400_000 }],
    [10, 0.5, undefined, { retry: false, delayMs: 0 }],
    [11, 0.5, undefined, { retry: false, delayMs: 0 }],
    [1, 0.5, 60_000, { retry: true, delayMs: 60_000 }],
    [2, 0.5, 60_000, { retry: true, delayMs: 300_000 }],
    [1, 0.5, 86_400_000, { retry: true, delayMs: 3_600_000 }],
    [10, 0.5, 1_000, { retry: false, delayMs: 0 }],
  ] as const)(
    'after %i attempts (random %d, Retry-After %s) → %j',
    (attempts, random, retryAfterMs, expected) => {
      expect(decideRetry({ attempts, scheduleMs: schedule, random, retryAfterMs })).toEqual(expected);
    },
  );

  it('keeps jitter within ±20% of the schedule', () => {
    for (let i = 0; i < 200; i++) {
      const { delayMs } = decideRetry({ attempts: 3, scheduleMs: schedule, random: Math.random() });
      expect(delayMs).toBeGreaterThanOrEqual(1_800_000 * 0.8);
      expect(delayMs).toBeLessThanOrEqual(1_800_000 * 1.2);
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);
  it.each([
    ['120', 120_000],
    ['0', 0],
    ['1.5', 1_500],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
  ] as const)('%j → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
