/**
 * Which VictorOps failures are retried and how long to wait: pure functions, table-tested.
 */
import type { VictorOpsError } from './errors.js';

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
  return Math.max(jittered, input.retryAfterMs ?? 0);
}

export interface RetryLimits {
  maxRetries: number;
  /**
   * VictorOps answers 403 both for bad credentials and when rate limited, so a 403 is retried a
   * few times (fewer than other failures) before it is reported as an authentication failure.
   */
  max403Retries: number;
}

/** Whether a failed attempt should be tried again, given how many retries were made already. */
export function shouldRetry(error: VictorOpsError, retriesSoFar: number, limits: RetryLimits): boolean {
  if (!error.retryable) return false;
  if (error.status === 403) return retriesSoFar < Math.min(limits.max403Retries, limits.maxRetries);
  return retriesSoFar < limits.maxRetries;
}

/** True for answers that mean "slow down": they lower the client's pace. */
export function isRateLimitAnswer(status: number): boolean {
  return status === 429 || status === 403;
}
