/**
 * A clock that moves only when the test says so. Code under test that sleeps on it waits until
 * `advance` passes its wake-up time, so a test asserts on what the code decided to wait for
 * (`sleeping()`) instead of measuring how long real time took, which flakes on a loaded machine.
 */
import type { Clock } from '../../src/clock.js';

interface Sleeper {
  wakeAtMs: number;
  wake: () => void;
}

export interface ManualClock extends Clock {
  monotonicMs(): number;
  /** Moves time forward and wakes every sleeper that is due, then lets their continuations run. */
  advance(ms: number): Promise<void>;
  /** Remaining milliseconds of every pending sleep, shortest first. */
  sleeping(): number[];
}

export function createManualClock(startMs = Date.UTC(2026, 2, 2, 9, 0, 0)): ManualClock {
  let nowMs = startMs;
  let sleepers: Sleeper[] = [];
  const sleeping = () => sleepers.map((s) => s.wakeAtMs - nowMs).sort((a, b) => a - b);
  return {
    now: () => nowMs,
    monotonicMs: () => nowMs - startMs,
    sleep(ms, signal) {
      return new Promise<void>((resolve, reject) => {
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        const sleeper: Sleeper = {
          wakeAtMs: nowMs + Math.max(0, ms),
          wake: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers = sleepers.filter((s) => s !== sleeper);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
      });
    },
    async advance(ms) {
      nowMs += ms;
      const due = sleepers.filter((s) => s.wakeAtMs <= nowMs);
      sleepers = sleepers.filter((s) => s.wakeAtMs > nowMs);
      for (const sleeper of due) sleeper.wake();
      await new Promise((resolve) => setImmediate(resolve));
    },
    sleeping,
  };
}

/**
 * Settles `work`, moving the clock to the next sleeper's wake-up whenever something sleeps on it
 * and `settled()` says nothing is still on its way through real I/O (so an instant on the clock
 * means the same for the sender and the receiver). Between checks it yields to real I/O.
 */
export async function runOnClock<T>(
  clock: ManualClock,
  work: Promise<T>,
  settled: () => boolean,
): Promise<T> {
  let done = false;
  work.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    const next = clock.sleeping()[0];
    if (next !== undefined && settled()) await clock.advance(next);
    else await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return work;
}
