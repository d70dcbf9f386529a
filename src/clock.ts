/** Time as a dependency, so tests move a clock instead of sleeping. */
export interface Clock {
  /** Epoch milliseconds: wall time, for what is recorded. It may step back or jump ahead. */
  now(): number;
  /**
   * Milliseconds from an arbitrary origin that never steps back, for durations and liveness.
   * Optional so simple fakes need only `now`; monotonicNow falls back to it.
   */
  monotonicMs?(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonicMs: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** The clock's monotonic time, or its wall time when it has none (test fakes). */
export function monotonicNow(clock: Clock): number {
  return clock.monotonicMs ? clock.monotonicMs() : clock.now();
}
