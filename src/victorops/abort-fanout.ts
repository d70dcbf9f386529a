/**
 * One abort listener per caller's signal, however many of its waits are pending. A queue whose
 * waiters each listened to the caller's signal themselves gave it one listener per waiting request,
 * and Node warns past ten (MaxListenersExceededWarning, "possible EventTarget memory leak"): the
 * log of every poll whose requests wait their turn more than ten at a time (VO_CONCURRENCY above 10).
 */
export interface AbortFanout {
  /** Calls `onAbort` once if `signal` aborts before the returned `stop` is called. */
  follow(signal: AbortSignal, onAbort: () => void): () => void;
}

export function createAbortFanout(): AbortFanout {
  const followed = new Map<AbortSignal, { listener: () => void; waits: Set<() => void> }>();
  return {
    follow(signal, onAbort) {
      let entry = followed.get(signal);
      if (entry === undefined) {
        const waits = new Set<() => void>();
        const listener = () => {
          followed.delete(signal);
          for (const wait of waits) wait();
          waits.clear();
        };
        entry = { listener, waits };
        followed.set(signal, entry);
        signal.addEventListener('abort', listener, { once: true });
      }
      const mine = entry;
      // A function of its own per wait, so one callback followed twice is two waits.
      const wait = () => onAbort();
      mine.waits.add(wait);
      return () => {
        mine.waits.delete(wait);
        // The last wait ended: the signal is not held here, nor listened to, any longer.
        if (mine.waits.size === 0 && followed.get(signal) === mine) {
          followed.delete(signal);
          signal.removeEventListener('abort', mine.listener);
        }
      };
    },
  };
}
