/**
 * Per-key sliding-window limits. Only admitted requests count towards a window, so a
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

/** A per-endpoint limit in calls per minute; 0 or Infinity means unlimited. */
export interface PerMinuteLimiter {
  readonly perMinute: number;
  configure(perMinute: number): void;
  admit(key: string, nowMs: number): boolean;
}

interface SlidingWindow {
  /** Records the request and returns true when fewer than `limit` were admitted within the window. */
  admit(key: string, nowMs: number, limit: number): boolean;
  clear(): void;
}

function createSlidingWindow(windowMs: number): SlidingWindow {
  const arrivals = new Map<string, number[]>();
  return {
    admit(key, nowMs, limit) {
      let times = arrivals.get(key);
      if (!times) {
        times = [];
        arrivals.set(key, times);
      }
      let expired = 0;
      while (expired < times.length && (times[expired] ?? 0) <= nowMs - windowMs) expired += 1;
      if (expired > 0) times.splice(0, expired);
      if (times.length >= limit) return false;
      times.push(nowMs);
      return true;
    },
    clear: () => arrivals.clear(),
  };
}

export function createRateLimiter(initial: RateLimitConfig | null): RateLimiter {
  let config = initial;
  const window = createSlidingWindow(1000);
  return {
    get config() {
      return config;
    },
    configure(next) {
      config = next;
      window.clear();
    },
    admit(key, nowMs) {
      return config ? window.admit(key, nowMs, config.rps) : true;
    },
  };
}

const checkPerMinute = (perMinute: number): number => {
  if (perMinute !== Number.POSITIVE_INFINITY && !(Number.isInteger(perMinute) && perMinute >= 0)) {
    throw new RangeError(`perMinute must be an integer ≥ 0 or Infinity, got ${perMinute}`);
  }
  return perMinute;
};

export function createPerMinuteLimiter(initial: number): PerMinuteLimiter {
  let perMinute = checkPerMinute(initial);
  const window = createSlidingWindow(60_000);
  return {
    get perMinute() {
      return perMinute;
    },
    configure(next) {
      perMinute = checkPerMinute(next);
      window.clear();
    },
    admit(key, nowMs) {
      if (perMinute === 0 || perMinute === Number.POSITIVE_INFINITY) return true;
      return window.admit(key, nowMs, perMinute);
    },
  };
}
