/**
 * Paces every request to VictorOps. Starts are spaced at least 1/rate apart, measured from the
 * previous actual start (not a theoretical slot), so no window of one second ever holds more than
 * the configured rate even when timers fire late. After rate-limited answers the effective rate
 * halves; each success wins back a little of it.
 */
import type { Clock } from '../clock.js';

export interface RateLimiterOptions {
  maxRps: number;
  clock: Clock;
  /** Never go below this fraction of maxRps (default 0.1). */
  floorFraction?: number;
  /** Fraction of maxRps regained per success (default 0.02: 25 successes from half to full). */
  recoveryFraction?: number;
}

export interface RateLimiter {
  /** Waits for this request's turn; rejects if the signal aborts first. */
  acquire(signal?: AbortSignal): Promise<void>;
  onRateLimited(): void;
  onSuccess(): void;
  effectiveRps(): number;
}

/** A small margin so network jitter between us and the server cannot squeeze two starts together. */
const SPACING_MARGIN = 1.02;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { maxRps, clock } = options;
  const floor = maxRps * (options.floorFraction ?? 0.1);
  const recovery = maxRps * (options.recoveryFraction ?? 0.02);
  let rate = maxRps;
  let lastStart = Number.NEGATIVE_INFINITY;
  // A promise chain serialises waiters so they leave in arrival order.
  let queue: Promise<void> = Promise.resolve();

  const intervalMs = () => (1000 / rate) * SPACING_MARGIN;

  return {
    acquire(signal) {
      const turn = queue.then(async () => {
        signal?.throwIfAborted();
        for (;;) {
          const wait = lastStart + intervalMs() - clock.now();
          if (wait <= 0) break;
          await clock.sleep(Math.ceil(wait), signal);
        }
        lastStart = clock.now();
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
