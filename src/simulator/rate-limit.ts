/**
 * A per-key sliding-window limit. Only admitted requests count towards the window, so a
 * client that backs off is let through again as soon as its old requests age out.
 */
export interface RateLimitConfig {
  rps: number;
  /** VictorOps has answered both; clients must cope with either. */
  status: 429 | 403;
  retryAfter: boolean;
}

export interface RateLimiter {
  readonly config: RateLimitConfig | null;
  configure(config: RateLimitConfig | null): void;
  /** Records the request and returns true when it is within the limit. */
  admit(key: string, nowMs: number): boolean;
}

const WINDOW_MS = 1000;

export function createRateLimiter(initial: RateLimitConfig | null): RateLimiter {
  let config = initial;
  const arrivals = new Map<string, number[]>();
  return {
    get config() {
      return config;
    },
    configure(next) {
      config = next;
      arrivals.clear();
    },
    admit(key, nowMs) {
      if (!config) return true;
      let times = arrivals.get(key);
      if (!times) {
        times = [];
        arrivals.set(key, times);
      }
      let expired = 0;
      while (expired < times.length && (times[expired] ?? 0) <= nowMs - WINDOW_MS) expired += 1;
      if (expired > 0) times.splice(0, expired);
      if (times.length >= config.rps) return false;
      times.push(nowMs);
      return true;
    },
  };
}
