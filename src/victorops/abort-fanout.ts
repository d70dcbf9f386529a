/**
 * One abort listener per caller's signal, however many of its waits are pending. A queue whose
 * waiters each listened to the caller's signal themselves gave it one listener per waiting request,
 * and Node warns past ten (MaxListenersExceededWarning, "possible EventTarget memory leak"): the
 * log of every poll whose requests wait their turn more than ten at a time (VO_CONCURRENCY above 10).
 */
export interface AbortFanout {
  /**
   * Calls `onAbort` once if `signal` aborts before the returned `stop` is called (at once if it
   * already has).
   */
  follow(signal: AbortSignal, onAbort: () => void): () => void;
}

export function createAbortFanout(): AbortFanout {
  // Weak: a signal whose waits were never stopped is not kept alive by the queue it waited in.
  const followed = new WeakMap<AbortSignal, { listener: () => void; waits: Set<() => void> }>();
  return {
    follow(signal, onAbort) {
      if (signal.aborted) {
        onAbort();
        return () => {};
      }
      let entry = followed.get(signal);
      if (entry === undefined) {
        const waits = new Set<() => void>();
        const listener = () => {
          followed.delete(signal);
          for (const wait of waits) {
            // One wait that throws must not leave the others waiting for ever, as separate
            // listeners would not have: its error is thrown after them.
            try {
              wait();
            } catch (error) {
              queueMicrotask(() => {
                throw error;
              });
            }
          }
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
