import type { VictorOpsError } from '../errors.js';
/**
 * Which VictorOps failures are retried and how long to wait: pure functions, table-tested.
 */

export interface BackoffInput {
  /** Retries already made for this request (0 before the first retry). */
  retry: number;
  baseMs: number;
  capMs: number;
  /** In [0, 1). */
  random: number;
  retryAfterMs?: number | undefined;
}

/**
 * Exponential backoff with full jitter (a uniform draw in [0, base·2^retry], capped), so clients
 * that failed together spread out; a server's Retry-After is a floor, not a suggestion.
 */
export function backoffDelayMs(input: BackoffInput): number {
  const ceiling = Math.min(input.capMs, input.baseMs * 2 ** input.retry);
  const jittered = Math.floor(input.random * ceiling);
  return Math.max(jittered, capRetryAfterMs(input.retryAfterMs ?? 0));
}

/**
 * The longest VictorOps `Retry-After` honoured. No source documents the header for VictorOps; a
 * proxy's or a broken server's "wait a day" must not stall a poll past its deadline, so a few
 * minutes is the most one answer can make a request wait.
 */
export const MAX_RETRY_AFTER_MS = 300_000;

export function capRetryAfterMs(ms: number): number {
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

export interface RetryLimits {
  maxRetries: number;
  /**
   * VictorOps answers 403 both for bad credentials and when rate limited, so a 403 is retried a
   * few times (fewer than other failures) before it is reported as an authentication failure.
   */
  max403Retries: number;
}

/** How many retries a failure of this kind gets in all (0: none). */
export function retryLimitFor(error: VictorOpsError, limits: RetryLimits): number {
  if (!error.retryable) return 0;
  // A 200 whose body does not match is most likely the API's real shape, not a glitch: one more
  // look rules out a truncated answer, more would only spend rate budget on the same answer.
  if (error.code === 'shape') return Math.min(1, limits.maxRetries);
  if (error.status === 403) return Math.min(limits.max403Retries, limits.maxRetries);
  return limits.maxRetries;
}

/** Whether a failed attempt should be tried again, given how many retries were made already. */
export function shouldRetry(error: VictorOpsError, retriesSoFar: number, limits: RetryLimits): boolean {
  return retriesSoFar < retryLimitFor(error, limits);
}

/** True for answers that mean "slow down": they lower the client's pace. */
export function isRateLimitAnswer(status: number): boolean {
  return status === 429 || status === 403;
}
