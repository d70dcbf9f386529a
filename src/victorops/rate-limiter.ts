/**
 * Paces every request to VictorOps with a sliding window: at most `capacity` starts in any
 * window of `capacity / rate` seconds. For 2 requests/second that is "never more than 2 in any
 * second", the exact promise, while still letting a slow timer catch up (a fixed spacing loses
 * a millisecond or two on every request to timer rounding, ~20% at 100 req/s).
 *
 * The window is stretched by a small margin so that network jitter between us and the server
 * cannot squeeze one window's requests into the server's view of a shorter one. After
 * rate-limited answers the effective rate halves; each success wins back a little of it.
 */
import { type Clock, monotonicNow } from '../clock.js';

export interface RateLimiterOptions {
  maxRps: number;
  clock: Clock;
  /** Never go below this fraction of maxRps (default 0.1). */
  floorFraction?: number;
  /** Fraction of maxRps regained per success (default 0.02: 25 successes from half to full). */
  recoveryFraction?: number;
  /**
   * Whole requests allowed in any one second (the key's own limit, e.g. 2 when pacing at 1.8 of
   * 2); default the rate rounded down. See windowFor.
   */
  burst?: number;
}

export interface RateLimiter {
  /** Waits for this request's turn; rejects if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
  onRateLimited(): void;
  onSuccess(): void;
  effectiveRps(): number;
}

const WINDOW_MARGIN = 1.02;
const WINDOW_SLACK_MS = 15;

export interface WindowShape {
  capacity: number;
  windowMs: number;
}

/**
 * The window for a rate: whole requests per window, and the window's length. `burst` is how many
 * requests any one second may hold (default: the rate rounded down); a rate below it is kept by
 * stretching the window, not by shrinking its capacity: 1.8 req/s under a limit of 2 is 2 per
 * 1.11 s (1.8/s), where 1 per second (the rate rounded down) would spend only 1 of the 1.8.
 */
export function windowFor(rps: number, burst = rps): WindowShape {
  const capacity = Math.max(1, Math.floor(burst));
  // Never a window shorter than a second: two of them would fit in one second and, at 2.5 req/s,
  // let 4 requests through. Rounding down to whole requests per second is the safe side.
  return { capacity, windowMs: Math.max(1, capacity / rps) * 1000 * WINDOW_MARGIN + WINDOW_SLACK_MS };
}

/** How long to wait before one more start is allowed, given recent starts (oldest first). */
export function waitBeforeStart(recentStarts: readonly number[], nowMs: number, shape: WindowShape): number {
  if (recentStarts.length < shape.capacity) return 0;
  const oldestInWindow = recentStarts[recentStarts.length - shape.capacity]!;
  return Math.max(0, oldestInWindow + shape.windowMs - nowMs);
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { maxRps, clock } = options;
  const floor = maxRps * (options.floorFraction ?? 0.1);
  const recovery = maxRps * (options.recoveryFraction ?? 0.02);
  let rate = maxRps;
  const starts: number[] = [];
  // A promise chain serialises waiters so they leave in arrival order.
  let queue: Promise<void> = Promise.resolve();

  return {
    acquire(signal) {
      const turn = queue.then(async () => {
        signal?.throwIfAborted();
        for (;;) {
          // Monotonic: a wall clock stepped back an hour must not hold every request for an hour.
          const wait = waitBeforeStart(starts, monotonicNow(clock), windowFor(rate, options.burst));
          if (wait <= 0) break;
          await clock.sleep(Math.ceil(wait), signal);
        }
        starts.push(monotonicNow(clock));
        // Only the newest `capacity` starts matter; keep the log bounded.
        const keep = windowFor(maxRps, options.burst).capacity;
        if (starts.length > keep) starts.splice(0, starts.length - keep);
      });
      // Keep the chain alive even when one waiter aborts.
      queue = turn.catch(() => undefined);
      return turn;
    },
    onRateLimited() {
      rate = Math.max(floor, rate / 2);
    },
    onSuccess() {
      rate = Math.min(maxRps, rate + recovery);
    },
    effectiveRps: () => rate,
  };
}
