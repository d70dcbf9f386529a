/** Every API request the simulator saw, so tests can assert on a client's pacing and retries. */
export interface RequestLogEntry {
  method: string;
  path: string;
  /** 0 while the request has not been answered (e.g. a hang). */
  status: number;
  /** Arrival time on a monotonic clock, in ms. */
  atMs: number;
}

export interface RequestCountFilter {
  method?: string;
  /** Substring of the path. */
  path?: string;
  status?: number;
}

export interface RequestLog {
  record(method: string, path: string, atMs: number): RequestLogEntry;
  entries(): readonly RequestLogEntry[];
  count(filter?: RequestCountFilter): number;
  byMethod(): Record<string, number>;
  byStatus(): Record<string, number>;
  /** The largest number of requests whose arrival falls within any window of `windowMs`. */
  maxInAnyWindow(windowMs: number): number;
  /**
   * Resolves once `count` requests matching `filter` (method, path substring) have arrived, counting
   * those already logged: tests await a request reaching the server instead of polling for it.
   */
  arrived(filter?: Omit<RequestCountFilter, 'status'>, count?: number): Promise<void>;
  reset(): void;
}

const tally = (values: Iterable<string>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

const matches = (entry: RequestLogEntry, filter: RequestCountFilter): boolean =>
  (filter.method === undefined || entry.method === filter.method) &&
  (filter.path === undefined || entry.path.includes(filter.path)) &&
  (filter.status === undefined || entry.status === filter.status);

export function createRequestLog(): RequestLog {
  let log: RequestLogEntry[] = [];
  let waiters: { filter: RequestCountFilter; count: number; resolve: () => void }[] = [];
  const count = (filter: RequestCountFilter = {}) => log.filter((entry) => matches(entry, filter)).length;
  return {
    record(method, path, atMs) {
      const entry = { method, path, status: 0, atMs };
      log.push(entry);
      const due = waiters.filter((w) => count(w.filter) >= w.count);
      waiters = waiters.filter((w) => !due.includes(w));
      for (const waiter of due) waiter.resolve();
      return entry;
    },
    entries: () => log,
    count,
    arrived(filter = {}, wanted = 1) {
      if (count(filter) >= wanted) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ filter, count: wanted, resolve }));
    },
    byMethod: () => tally(log.map((entry) => entry.method)),
    byStatus: () => tally(log.map((entry) => String(entry.status))),
    maxInAnyWindow(windowMs) {
      const times = log.map((entry) => entry.atMs).sort((a, b) => a - b);
      let best = 0;
      let start = 0;
      for (let end = 0; end < times.length; end += 1) {
        while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start += 1;
        best = Math.max(best, end - start + 1);
      }
      return best;
    },
    reset() {
      log = [];
    },
  };
}
