import { describe, expect, it } from 'vitest';
import type { SendResult } from '../../../src/delivery/destination-runtime.js';
import { MAX_RETRY_AFTER_MS } from '../../../src/delivery/retry-policy.js';
import { type SettleInput, settleAttempt } from '../../../src/delivery/settle-attempt.js';

const NOW = 1_700_000_000_000;
const SCHEDULE = [0, 5_000, 300_000];

function settle(result: SendResult, attemptsBefore = 0, random = 0.5) {
  const input: SettleInput = {
    destination: 'ops',
    eventId: 'evt-1',
    result,
    attemptsBefore,
    nowMs: NOW,
    retryScheduleMs: SCHEDULE,
    random,
  };
  return settleAttempt(input);
}

describe('settleAttempt', () => {
  // result, attempts before, → outcome, next attempt offset, pause offset (null: none)
  it.each([
    ['2xx', { kind: 'delivered', statusCode: 204, latencyMs: 3 }, 0, 'delivered', 0, null],
    [
      'first 500',
      { kind: 'failed', statusCode: 500, error: 'HTTP 500', latencyMs: 3 },
      0,
      'failed',
      5_000,
      null,
    ],
    [
      'second 500',
      { kind: 'failed', statusCode: 500, error: 'HTTP 500', latencyMs: 3 },
      1,
      'failed',
      300_000,
      null,
    ],
    ['last 500', { kind: 'failed', statusCode: 500, error: 'HTTP 500', latencyMs: 3 }, 2, 'dead', 1, null],
    [
      '429 with Retry-After',
      { kind: 'failed', statusCode: 429, retryAfterMs: 60_000, error: 'HTTP 429', latencyMs: 3 },
      0,
      'failed',
      60_000,
      60_000,
    ],
    [
      '429 without Retry-After',
      { kind: 'failed', statusCode: 429, error: 'HTTP 429', latencyMs: 3 },
      0,
      'failed',
      5_000,
      0,
    ],
    [
      '429 with a ten-year Retry-After',
      { kind: 'failed', statusCode: 429, retryAfterMs: 315_360_000_000, error: 'HTTP 429', latencyMs: 3 },
      0,
      'failed',
      MAX_RETRY_AFTER_MS,
      MAX_RETRY_AFTER_MS,
    ],
    [
      'network error',
      { kind: 'failed', statusCode: null, error: 'ECONNREFUSED', latencyMs: 3 },
      0,
      'failed',
      5_000,
      null,
    ],
    [
      '4xx rejection',
      { kind: 'rejected', statusCode: 400, error: 'HTTP 400', latencyMs: 3 },
      0,
      'dead',
      0,
      null,
    ],
    ['410 Gone', { kind: 'gone', statusCode: 410, error: 'HTTP 410', latencyMs: 3 }, 0, 'disabled', 0, null],
  ] as const)('%s → %s', (_name, result, attemptsBefore, outcome, nextOffset, pauseOffset) => {
    const settled = settle(result as SendResult, attemptsBefore);
    expect(settled.outcome).toBe(outcome);
    expect(settled.nextAttemptAtMs - NOW).toBe(nextOffset);
    expect(settled.pauseUntilMs === null ? null : settled.pauseUntilMs - NOW).toBe(pauseOffset);
    expect(settled.error).toBe(result.kind === 'delivered' ? null : result.error);
  });

  it('a zero first delay still schedules the retry at least 1 ms later, so one pass cannot repeat it', () => {
    const settled = settleAttempt({
      destination: 'ops',
      eventId: 'evt-1',
      result: { kind: 'failed', statusCode: 503, error: 'HTTP 503', latencyMs: 1 },
      attemptsBefore: 0,
      nowMs: NOW,
      retryScheduleMs: [0, 0],
      random: 0.5,
    });
    expect(settled).toMatchObject({ outcome: 'failed', nextAttemptAtMs: NOW + 1 });
  });

  it('jitters the retry delay with the random number it is given', () => {
    const failed: SendResult = { kind: 'failed', statusCode: 500, error: 'HTTP 500', latencyMs: 1 };
    expect(settle(failed, 0, 0).nextAttemptAtMs - NOW).toBe(4_000);
    expect(settle(failed, 0, 0.999_999).nextAttemptAtMs - NOW).toBe(6_000);
  });

  it('a 410 asks to disable the destination and names it in an endpoint.disabled notice', () => {
    const settled = settle({ kind: 'gone', statusCode: 410, error: 'HTTP 410', latencyMs: 1 });
    expect(settled.disable).toEqual({
      reason: 'the endpoint answered 410 Gone',
      notice: {
        type: 'rosterwatch.endpoint.disabled',
        subject: 'ops',
        data: { destination: 'ops', statusCode: 410, reason: 'the endpoint answered 410 Gone' },
      },
    });
    expect(settled.log).toBeNull();
  });

  it('only a 410 disables; no other outcome emits a notice', () => {
    const others: SendResult[] = [
      { kind: 'delivered', statusCode: 200, latencyMs: 1 },
      { kind: 'failed', statusCode: 429, retryAfterMs: 1_000, error: 'HTTP 429', latencyMs: 1 },
      { kind: 'rejected', statusCode: 404, error: 'HTTP 404', latencyMs: 1 },
    ];
    for (const result of others) expect(settle(result).disable).toBeNull();
  });

  it('logs a retry at info, a last failure at warn with the attempt count, a rejection at error', () => {
    const failed: SendResult = { kind: 'failed', statusCode: 500, error: 'HTTP 500', latencyMs: 1 };
    expect(settle(failed, 0).log).toMatchObject({
      level: 'info',
      fields: { destination: 'ops', eventId: 'evt-1', statusCode: 500, retryInMs: 5_000 },
      message: 'delivery failed; will retry',
    });
    expect(settle(failed, 2).log).toMatchObject({
      level: 'warn',
      fields: { attempts: 3 },
      message: 'delivery failed on its last attempt; it is dead',
    });
    const rejected = settle({
      kind: 'rejected',
      statusCode: 403,
      error: 'forbidden: check the secret',
      latencyMs: 1,
    });
    expect(rejected.log).toEqual({
      level: 'error',
      fields: { destination: 'ops', eventId: 'evt-1', statusCode: 403 },
      message: 'forbidden: check the secret',
    });
    expect(settle({ kind: 'delivered', statusCode: 204, latencyMs: 1 }).log).toBeNull();
  });
});
