/**
 * When a failed delivery is tried again: a pure function of the attempt count, the configured
 * schedule, the receiver's Retry-After and a random source, so it is table-tested without clocks.
 */

/** The longest a receiver's Retry-After may park a delivery or pause a destination. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

export interface RetryDecision {
  /** false: the schedule is used up and the delivery is dead. */
  retry: boolean;
  delayMs: number;
}

export interface RetryInput {
  /** Attempts made so far, including the one that just failed (1 after the first attempt). */
  attempts: number;
  /** Delays before attempt 1, 2, 3…; its length is the number of attempts allowed. */
  scheduleMs: readonly number[];
  /** The receiver's Retry-After in ms, when it sent one. */
  retryAfterMs?: number | undefined;
  /** A number in [0, 1). */
  random: number;
  /** Cap on Retry-After so a hostile or buggy receiver cannot park a delivery for a year. */
  maxRetryAfterMs?: number;
}

/**
 * The next delay is the schedule's entry for the next attempt with ±20% jitter (so a fleet of
 * deliveries that failed together does not retry in lockstep), but never sooner than Retry-After.
 */
export function decideRetry(input: RetryInput): RetryDecision {
  const next = input.scheduleMs[input.attempts];
  if (next === undefined) return { retry: false, delayMs: 0 };
  const jittered = Math.round(next * (0.8 + 0.4 * input.random));
  const retryAfter = Math.min(input.retryAfterMs ?? 0, input.maxRetryAfterMs ?? MAX_RETRY_AFTER_MS);
  return { retry: true, delayMs: Math.max(jittered, retryAfter) };
}
